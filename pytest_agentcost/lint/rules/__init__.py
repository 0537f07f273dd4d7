"""The rules, one module each: CODE, NAME, CHECKS, FIX, message templates, VALID/INVALID and check()."""

from __future__ import annotations

from types import ModuleType

from pytest_agentcost.lint.rules import ac001_generation_agent_type, ac002_trace_session_id

__all__ = ["RULES", "rule_table"]

RULES: tuple[ModuleType, ...] = (ac001_generation_agent_type, ac002_trace_session_id)


def rule_table() -> str:
    """The Markdown table of the rules (the README and docs/rules.md embed it)."""
    lines = ["| Code | Name | What it checks | How to fix |", "| --- | --- | --- | --- |"]
    for rule in RULES:
        lines.append(f"| {rule.CODE} | `{rule.NAME}` | {rule.CHECKS} | {rule.FIX} |")
    return "\n".join(lines) + "\n"
