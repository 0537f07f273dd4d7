"""pytest glue for the lint (`--agentcost-lint`). Placeholder until the lint glue lands."""

from __future__ import annotations

import pytest


def addoption(group: pytest.OptionGroup) -> None:
    """Add the lint options."""


def configure(config: pytest.Config) -> None:
    """Register the lint marker and collection plugin when `--agentcost-lint` is given."""
