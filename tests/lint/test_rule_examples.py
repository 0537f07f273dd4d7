"""Every rule's VALID/INVALID examples, the generated rule table, and docs/rules.md staying in sync."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from lint_helpers import lint_files

from pytest_agentcost.lint.rules import RULES, rule_table
from pytest_agentcost.lint.rules.base import Invalid, Valid

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "docs" / "rules.md"]
START, END = "<!-- rules:start -->", "<!-- rules:end -->"

EXAMPLES = [
    pytest.param(rule, example, id=f"{rule.CODE}-{type(example).__name__.lower()}-{number}")
    for rule in RULES
    for number, example in enumerate((*rule.VALID, *rule.INVALID))
]


@pytest.mark.parametrize(("rule", "example"), EXAMPLES)
def test_rule_example_gives_exactly_its_expected_findings(
    tmp_path: Path, rule: ModuleType, example: Valid | Invalid
) -> None:
    config: dict[str, Any] = dict(example.config)
    findings = lint_files(tmp_path, {"example.py": example.code, **dict(example.files)}, **config)
    got = [(f.line, f.code) for f in findings if f.code == rule.CODE]
    expected = list(example.expected) if isinstance(example, Invalid) else []
    assert got == expected


def test_every_rule_has_valid_and_invalid_examples_and_docs() -> None:
    for rule in RULES:
        assert rule.VALID and rule.INVALID, rule.CODE
        assert rule.CODE.startswith("AC") and rule.NAME and rule.CHECKS and rule.FIX


def test_rules_module_prints_the_markdown_rule_table() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pytest_agentcost.lint.rules"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out == rule_table()
    assert out.startswith("| Code | Name | What it checks | How to fix |")
    assert all(f"| {rule.CODE} |" in out for rule in RULES)


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_the_readme_and_rules_document_embed_the_generated_rule_table(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    assert START in text and END in text, f"{doc} needs the {START} / {END} markers"
    embedded = text.split(START, 1)[1].split(END, 1)[0]
    assert embedded.strip() == rule_table().strip(), (
        f"{doc} is out of date: paste the output of `python -m pytest_agentcost.lint.rules` "
        f"between the markers"
    )
