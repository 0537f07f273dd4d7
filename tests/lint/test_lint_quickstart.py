"""The bundled example shows findings from both rules, and only the deliberate ones."""

from __future__ import annotations

from pathlib import Path

from lint_helpers import lint_tree

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "quickstart"


def test_quickstart_example_reports_exactly_its_deliberate_violations() -> None:
    findings, errors = lint_tree(EXAMPLE)
    assert errors == []
    assert [(f.path, f.line, f.column, f.code, f.symbol) for f in findings] == [
        ("research_crew/agents.py", 16, 1, "AC001", "research"),
        ("research_crew/agents.py", 30, 27, "AC001", "critic"),
        ("research_crew/workflow.py", 17, 1, "AC002", "nightly_digest"),
        ("research_crew/workflow.py", 24, 23, "AC002", "reindex"),
    ]
    assert "could not be verified" in findings[1].message


def test_quickstart_example_correct_agents_are_not_reported() -> None:
    findings, _ = lint_tree(EXAMPLE)
    symbols = {f.symbol for f in findings}
    assert symbols.isdisjoint({"plan", "writer", "run_workflow", "write"})
