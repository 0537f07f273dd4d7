"""Shared test set-up: the socket guard for this process and for every pytester run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["socket_guard"]

TESTS_DIR = Path(__file__).parent


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytester whose runs (in-process and subprocess) also load the socket guard."""
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(TESTS_DIR), os.environ.get("PYTHONPATH")]))
    )
    pytester.plugins.append("socket_guard")  # in-process runs
    return pytester


def guarded_args(*args: str) -> tuple[str, ...]:
    """Arguments for `runpytest_subprocess` that load the socket guard in the child too."""
    return ("-p", "socket_guard", *args)
