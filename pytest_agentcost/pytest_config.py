"""pytest glue for `[tool.agentcost]`: find it once per session and keep it in `config.stash`."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_agentcost.config import Config, ConfigError, find_pyproject, load_config

CONFIG_KEY = pytest.StashKey[Config]()


def addoption(group: pytest.OptionGroup) -> None:
    """Add `--agentcost-config`."""
    group.addoption(
        "--agentcost-config",
        metavar="PATH",
        default=None,
        help="pyproject.toml to read [tool.agentcost] from (default: the nearest one above the rootdir).",
    )


def configure(config: pytest.Config) -> None:
    """Parse `[tool.agentcost]` once; a bad key stops the run with a message naming it."""
    option = config.getoption("agentcost_config")
    path = Path(option) if option else find_pyproject(config.rootpath)
    if option and not Path(option).is_file():
        raise pytest.UsageError(f"--agentcost-config: no such file: {option}")
    try:
        config.stash[CONFIG_KEY] = load_config(path)
    except ConfigError as exc:
        raise pytest.UsageError(f"pytest-agentcost: {exc}") from None


def agentcost_config(config: pytest.Config) -> Config:
    """The session's parsed `[tool.agentcost]`."""
    return config.stash[CONFIG_KEY]
