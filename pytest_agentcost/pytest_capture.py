"""pytest glue for runtime capture (`agentcost_capture`). Placeholder until the capture glue lands."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


def addoption(group: pytest.OptionGroup) -> None:
    """Add the capture options."""


def configure(config: pytest.Config) -> None:
    """Register the `agentcost` marker."""


@pytest.fixture
def agentcost_capture() -> Iterator[None]:
    """Capture every Langfuse observation of the test, offline."""
    yield None
