"""Suppression comments: which forms count, and where they may sit."""

from __future__ import annotations

from pathlib import Path

import pytest
from lint_helpers import lint_files, summary

from pytest_agentcost.lint.suppress import parse_suppression


@pytest.mark.parametrize(
    ("comment", "codes"),
    [
        ("# agentcost: ignore[AC001]", ("AC001",)),
        ("# agentcost: ignore[ac001, AC002]", ("AC001", "AC002")),
        ("# agentcost:ignore", ()),
        ("#agentcost: ignore  -- reviewed", ()),
        ("# noqa: AC001", ("AC001",)),
        ("# NOQA:AC002", ("AC002",)),
        ("# noqa: E501, AC001", ("AC001",)),
        ("# noqa: E501", None),
        ("# noqa", None),
        ("# type: ignore", None),
        ("# agentcost is great", None),
        ("# agentcost: ignore[AC001]  # noqa: AC002", ("AC001", "AC002")),
        ("# noqa: AC002  # agentcost: ignore[AC001]", ("AC001", "AC002")),
        ("# legacy, agentcost: ignore[AC002]", ("AC002",)),
    ],
)
def test_suppression_comment_forms(comment: str, codes: tuple[str, ...] | None) -> None:
    assert parse_suppression(comment) == codes


V3 = "from langfuse import get_client, observe"


def test_suppression_on_the_enclosing_def_line_covers_a_call_inside(tmp_path: Path) -> None:
    source = (
        V3
        + """
def summarise():  # agentcost: ignore[AC001]
    get_client().start_observation(as_type="generation", name="summary").end()

def translate():
    get_client().start_observation(as_type="generation", name="translation").end()
"""
    )
    assert summary(lint_files(tmp_path, {"app.py": source})) == [("app.py", 6, "AC001")]


def test_suppression_on_a_multi_line_signature_line_counts(tmp_path: Path) -> None:
    source = (
        V3
        + """
@observe(as_type="generation")
def plan(
    task,
):  # agentcost: ignore[AC001]
    return task
"""
    )
    assert lint_files(tmp_path, {"app.py": source}, select=("AC001",)) == []


def test_suppression_inside_the_body_does_not_cover_the_function(tmp_path: Path) -> None:
    source = (
        V3
        + """
@observe(as_type="generation")
def plan(task):
    return task  # agentcost: ignore[AC001]
"""
    )
    assert summary(lint_files(tmp_path, {"app.py": source}, select=("AC001",))) == [
        ("app.py", 2, "AC001")
    ]
