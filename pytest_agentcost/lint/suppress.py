"""Suppression comments: `# agentcost: ignore[AC001]`, `# agentcost: ignore` and `# noqa: AC001`.

A bare `# noqa` is deliberately NOT honoured: it usually silences another linter, and a blanket
noqa would quietly hide a broken cost attribution. Name the code (`# noqa: AC001`) instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from pytest_agentcost.lint.facts import FileFacts
from pytest_agentcost.lint.model import Finding

__all__ = ["apply_suppressions", "parse_suppression"]

# (anywhere in the comment: `# legacy, agentcost: ignore[AC002]` counts too)
_AGENTCOST = re.compile(r"\bagentcost\s*:\s*ignore\b(?:\s*\[([^\]]*)\])?", re.IGNORECASE)
_NOQA = re.compile(r"#\s*noqa\s*:\s*([A-Za-z0-9_,\s]+)", re.IGNORECASE)
_CODE = re.compile(r"\bAC\d{3}\b", re.IGNORECASE)


def parse_suppression(comment: str) -> tuple[str, ...] | None:
    """The codes a comment suppresses: () for every code, None when it suppresses nothing of ours.

    Every suppression in the comment counts: `# agentcost: ignore[AC001]  # noqa: AC002` names
    both codes.
    """
    codes: list[str] = []
    for match in _AGENTCOST.finditer(comment):
        listed = _CODE.findall(match.group(1) or "")
        if not listed:
            return ()  # a bare `agentcost: ignore` (or `ignore[]`): every code
        codes.extend(listed)
    for match in _NOQA.finditer(comment):
        codes.extend(_CODE.findall(match.group(1)))
    return tuple(dict.fromkeys(code.upper() for code in codes)) if codes else None


def is_suppressed(
    code: str, lines: Iterable[int], suppressions: Mapping[int, tuple[str, ...]]
) -> bool:
    """Whether a suppression on any of `lines` covers `code`."""
    for line in lines:
        codes = suppressions.get(line)
        if codes is not None and (not codes or code in codes):
            return True
    return False


def apply_suppressions(
    findings: Iterable[tuple[Finding, tuple[int, ...]]], facts: Mapping[str, FileFacts]
) -> list[Finding]:
    """Drop findings suppressed on their own line or on one of their extra lines (decorator/def lines)."""
    tables: dict[str, dict[int, tuple[str, ...]]] = {}
    kept = []
    for finding, extra_lines in findings:
        table = tables.get(finding.path)
        if table is None:
            file_facts = facts.get(finding.path)
            table = tables[finding.path] = dict(file_facts.suppressions) if file_facts else {}
        if not is_suppressed(finding.code, (finding.line, *extra_lines), table):
            kept.append(finding)
    return kept
