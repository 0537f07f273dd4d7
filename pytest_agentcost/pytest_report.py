"""pytest glue for the run-wide cost report. Placeholder until the report glue lands."""

from __future__ import annotations

import pytest


def addoption(group: pytest.OptionGroup) -> None:
    """Add the report options."""


def configure(config: pytest.Config) -> None:
    """Register the report plugin."""
