"""Text and JSON output of a `LintResult` (used by the CLI and the pytest summary)."""

from __future__ import annotations

import dataclasses
import json
import os
from collections import Counter
from pathlib import Path

from pytest_agentcost.lint.files import relative_path
from pytest_agentcost.lint.model import FileError, Finding, LintResult

__all__ = ["format_json", "format_text", "relocate", "summary_line"]


def relocate(result: LintResult, *, root: Path, cwd: Path) -> LintResult:
    """The same result with every path (relative to `root`) made relative to `cwd` instead."""
    root, cwd = Path(os.path.abspath(root)), Path(os.path.abspath(cwd))
    if root == cwd:
        return result

    def move(path: str) -> str:
        return relative_path(root / path, cwd)

    return dataclasses.replace(
        result,
        findings=tuple(sorted(dataclasses.replace(f, path=move(f.path)) for f in result.findings)),
        errors=tuple(sorted(dataclasses.replace(e, path=move(e.path)) for e in result.errors)),
        files=tuple(move(path) for path in result.files),
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary_line(result: LintResult) -> str:
    """One line: files checked, findings per rule and file errors."""
    checked = _plural(result.files_checked, "file") + " checked"
    if result.ok:
        return f"agentcost lint: {checked}, no findings."
    parts = []
    if result.findings:
        per_rule = Counter(finding.code for finding in result.findings)
        detail = ", ".join(f"{code}: {count}" for code, count in sorted(per_rule.items()))
        parts.append(f"{_plural(len(result.findings), 'finding')} ({detail})")
    if result.errors:
        parts.append(_plural(len(result.errors), "file error"))
    return f"agentcost lint: {checked}, {' and '.join(parts)}."


def format_text(result: LintResult) -> str:
    """`path:line:col: CODE message` per finding (`path:line:col: error: message` per file error),
    ordered by path and line, then the summary line."""
    entries: list[Finding | FileError] = [*result.errors, *result.findings]
    entries.sort(key=lambda e: (e.path, e.line, e.column, isinstance(e, Finding)))
    lines = [entry.to_text() for entry in entries]
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"


def format_json(result: LintResult) -> str:
    """`{"findings": [...], "errors": [...], "files_checked": N}`, as the documentation shows."""
    return json.dumps(result.to_json(), indent=2) + "\n"
