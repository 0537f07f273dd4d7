"""The pytest entry point (`-p no:agentcost` disables it).

Thin glue only: each concern registers its options here and its hooks in `pytest_configure`. The
engines it drives (`lint/`, `capture/`, `report/`) are plain Python and never import pytest.
"""

from __future__ import annotations

import pytest

from pytest_agentcost import pytest_capture, pytest_config, pytest_lint, pytest_report
from pytest_agentcost.pytest_capture import agentcost_capture

__all__ = ["agentcost_capture"]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the `--agentcost-*` options."""
    group = parser.getgroup("agentcost", "per-agent cost attribution (pytest-agentcost)")
    pytest_config.addoption(group)
    pytest_lint.addoption(group)
    pytest_capture.addoption(group)
    pytest_report.addoption(group)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Hold every Langfuse client offline before conftest files (and the app code they import) load."""
    pytest_capture.early_configure(early_config)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Read `[tool.agentcost]`, register markers, and enable the parts the run asks for."""
    pytest_config.configure(config)
    pytest_lint.configure(config)
    pytest_capture.configure(config)
    pytest_report.configure(config)
