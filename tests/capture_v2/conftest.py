"""Langfuse SDK 2.x tests: skipped as a whole unless the installed langfuse is 2.x.

The test modules import langfuse lazily (inside tests and fixtures), so collecting them under
Langfuse 3+ works; each item then gets a skip marker that names the installed version.
"""

from __future__ import annotations

import importlib.metadata
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).parent
EXAMPLES = HERE.parent.parent / "examples"


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
    skip = pytest.mark.skip(reason=f"Langfuse 2.x tests; langfuse {langfuse_version()} is installed")
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
