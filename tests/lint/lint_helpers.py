"""Run the real extraction and project analysis over snippets written to a directory."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from pytest_agentcost.config import Config
from pytest_agentcost.lint.extract import extract_file
from pytest_agentcost.lint.facts import FileFacts
from pytest_agentcost.lint.imports import module_name_for
from pytest_agentcost.lint.model import FileError, Finding
from pytest_agentcost.lint.project import analyze


def snippet(source: str) -> str:
    """Dedent, and drop a blank first line so a snippet can open with a newline after its quotes."""
    lines = textwrap.dedent(source).split("\n")
    if lines and not lines[0].strip():
        del lines[0]
    return "\n".join(lines)


def write_tree(root: Path, files: dict[str, str]) -> None:
    for rel, source in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(snippet(source), encoding="utf-8")


def lint_tree(root: Path, config: Config | None = None) -> tuple[list[Finding], list[FileError]]:
    config = config or Config()
    facts: dict[str, FileFacts] = {}
    errors: list[FileError] = []
    for file in sorted(root.rglob("*.py")):
        rel = file.relative_to(root).as_posix()
        module, is_package = module_name_for(file, root)
        result = extract_file(
            file.read_bytes(), path=rel, module=module, is_package=is_package, config=config
        )
        if isinstance(result, FileError):
            errors.append(result)
        else:
            facts[rel] = result
    return analyze(facts, config), errors


def lint_files(root: Path, files: dict[str, str], **config: Any) -> list[Finding]:
    write_tree(root, files)
    findings, errors = lint_tree(root, Config(**config))
    assert not errors, errors
    return findings


def summary(findings: list[Finding]) -> list[tuple[str, int, str]]:
    return sorted((f.path, f.line, f.code) for f in findings)


# A table row of the case tests: (id, files, config, expected [(path, line, code)]).
LintCase = tuple[str, dict[str, str], dict[str, Any], list[tuple[str, int, str]]]


def parametrize_cases(cases: list[LintCase]) -> pytest.MarkDecorator:
    """One test per case, named by the case's id."""
    return pytest.mark.parametrize("case", cases, ids=[c[0] for c in cases])


def assert_lint_case(root: Path, case: LintCase) -> None:
    """Lint the case's files under its config; the findings are exactly the expected ones."""
    _, files, config, expected = case
    assert summary(lint_files(root, files, **config)) == sorted(expected)
