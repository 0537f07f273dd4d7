"""Capture tests run against the real Langfuse 3.9+/4.x/5.x SDK; 2.x has its own directory."""

from __future__ import annotations

import importlib.metadata
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
# The tests import the helper modules next to them (capture_workflows, conftest_helpers) by name.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
LANGFUSE_MAJOR = int(importlib.metadata.version("langfuse").split(".")[0])

# Langfuse 2.x is captured by another adapter (tests/capture_v2); nothing here applies to it.
collect_ignore_glob = ["test_*.py"] if LANGFUSE_MAJOR < 3 else []


@pytest.fixture
def capture_pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytester whose runs can `import capture_workflows` (in-process and in a subprocess)."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), os.environ["PYTHONPATH"]]))
    pytester.syspathinsert(HERE)
    return pytester
