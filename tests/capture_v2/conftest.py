"""Langfuse SDK 2.x tests: skipped as a whole unless the installed langfuse is 2.x.

The test modules import langfuse lazily (inside tests and fixtures), so collecting them under
Langfuse 3+ works; each item then gets a skip marker that names the installed version.
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
EXAMPLES = HERE.parent.parent / "examples"
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip every test in this directory unless Langfuse 2.x is installed."""
    if is_v2():
        return
    skip = pytest.mark.skip(
        reason=f"Langfuse 2.x tests; langfuse {langfuse_version()} is installed"
    )
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(skip)


@pytest.fixture
def seed_workflow_v2() -> Iterator[ModuleType]:
    """The shipped example `examples/seed_workflow/workflow_v2.py`, imported as a package module."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        import seed_workflow.workflow_v2 as module

        yield module
    finally:
        sys.path.remove(str(EXAMPLES))


@pytest.fixture
def v2_pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytester whose runs can `import v2_workflows` (in-process and in a subprocess)."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), os.environ["PYTHONPATH"]]))
    pytester.syspathinsert(HERE)
    return pytester


REAL_KEYS = {
    "LANGFUSE_PUBLIC_KEY": "pk-lf-11111111-2222-3333-4444-555555555555",
    "LANGFUSE_SECRET_KEY": "sk-lf-11111111-2222-3333-4444-555555555555",
    "LANGFUSE_HOST": "https://cloud.langfuse.com",
}

# A capture test file for pytester runs: two tests, each must see only its own trace.
CAPTURE_TEST = """
from v2_workflows import SEED_AGENTS, run_seed_workflow


def test_first_run_sees_its_trace(agentcost_capture):
    run_seed_workflow("first")
    assert [t.session_id for t in agentcost_capture.traces] == ["first"]
    assert len(agentcost_capture.generations()) == len(SEED_AGENTS)


def test_second_run_sees_only_its_own_trace(agentcost_capture):
    run_seed_workflow("second")
    assert [t.session_id for t in agentcost_capture.traces] == ["second"]
"""


@pytest.fixture
def real_keys(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Real-looking keys and the cloud host in the environment, as in a developer's shell."""
    for name, value in REAL_KEYS.items():
        monkeypatch.setenv(name, value)
    return REAL_KEYS
