"""The `agentcost` command. Placeholder until the lint glue lands."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """Run `agentcost`."""
    return 2
