"""Langfuse SDK 2.x tests: the whole directory is skipped unless the installed langfuse is 2.x.

The test modules import the v2 SDK (`langfuse.decorators`) at module level, so under Langfuse 3+
they are not collected at all (`collect_ignore_glob`), as tests/capture is not under 2.x.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).parent
# The tests import the application module next to them (v2_workflows) by name.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


def langfuse_version() -> str | None:
    try:
        return importlib.metadata.version("langfuse")
    except importlib.metadata.PackageNotFoundError:
        return None


def is_v2() -> bool:
    version = langfuse_version()
    return version is not None and version.split(".", 1)[0] == "2"


# Langfuse 3+ is captured by another adapter (tests/capture); nothing here applies to it.
collect_ignore_glob = [] if is_v2() else ["*.py"]


@pytest.fixture
def seed_workflow_v2() -> Iterator[ModuleType]:
    """The shipped example `examples/seed_workflow/workflow_v2.py`, imported as a package module."""
    from seed_workflow_contract import import_example

    yield from import_example("workflow_v2")


@pytest.fixture
def v2_pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytester whose runs can `import v2_workflows` (in-process and in a subprocess)."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), os.environ["PYTHONPATH"]]))
    pytester.syspathinsert(HERE)
    return pytester


@pytest.fixture
def real_keys(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Real-looking keys and the cloud host in the environment, as in a developer's shell."""
    from v2_helpers import REAL_KEYS

    for name, value in REAL_KEYS.items():
        monkeypatch.setenv(name, value)
    return REAL_KEYS
