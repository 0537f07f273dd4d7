"""Finding messages name the fix in the SDK style the file uses; symbols and positions are right."""

from __future__ import annotations

from pathlib import Path

import pytest
from lint_helpers import lint_files

V3 = "from langfuse import get_client, observe, propagate_attributes"
V2 = "from langfuse.decorators import langfuse_context, observe"


@pytest.mark.parametrize(
    ("source", "code", "expected_words"),
    [
        (
            V3
            + """
@observe(as_type="generation")
def plan(task):
    return task
""",
            "AC001",
            [
                "generation 'plan' has no 'agent_type'",
                'get_client().update_current_generation(metadata={"agent_type": ...})',
            ],
        ),
        (
            V2
            + """
@observe(as_type="generation")
def plan(task):
    return task
""",
            "AC001",
            ['langfuse_context.update_current_observation(metadata={"agent_type": ...})'],
        ),
        (
            V3
            + """
@observe(as_type="generation")
def plan(task, meta):
    get_client().update_current_generation(metadata=meta)
""",
            "AC001",
            ["could not be verified", 'unverifiable_metadata = "ignore"'],
        ),
        (
            """
from langfuse import Langfuse
Langfuse().trace(name="t", session_id="s").generation(name="search")
""",
            "AC001",
            ["generation 'search'", 'pass metadata={"agent_type": ...}'],
        ),
        (
            V3
            + """
@observe()
def handle(req):
    return req
""",
            "AC002",
            ["trace root 'handle' has no session_id", "propagate_attributes(session_id=...)"],
        ),
        (
            V2
            + """
@observe()
def handle(req):
    return req
""",
            "AC002",
            ["langfuse_context.update_current_trace(session_id=...)"],
        ),
        (
            """
from langfuse import Langfuse
Langfuse().trace(name="chat")
""",
            "AC002",
            ["trace root 'chat'", "pass session_id=... to this .trace(...) call"],
        ),
    ],
    ids=[
        "v3 decorator",
        "v2 decorator",
        "unverifiable",
        "v2 call",
        "v3 root",
        "v2 root",
        "v2 trace",
    ],
)
def test_message_says_what_to_add_in_the_file_sdk_style(
    tmp_path: Path, source: str, code: str, expected_words: list[str]
) -> None:
    findings = [f for f in lint_files(tmp_path, {"app.py": source}) if f.code == code]
    assert len(findings) == 1
    for words in expected_words:
        assert words in findings[0].message


def test_required_metadata_keys_are_all_named_in_the_message(tmp_path: Path) -> None:
    findings = lint_files(
        tmp_path,
        {
            "app.py": V3
            + """
@observe(as_type="generation")
def plan(task):
    return task
"""
        },
        select=("AC001",),
        required_metadata=("agent_type", "team"),
    )
    assert len(findings) == 1
    assert "'agent_type', 'team'" in findings[0].message
    assert '{"agent_type": ..., "team": ...}' in findings[0].message


def test_method_finding_uses_the_qualified_name_and_the_decorator_position(tmp_path: Path) -> None:
    findings = lint_files(
        tmp_path,
        {
            "app.py": V3
            + """
class Planner:

    @staticmethod
    @observe(as_type="generation")
    def plan(task):
        return task
"""
        },
        select=("AC001",),
    )
    assert [(f.symbol, f.line, f.column) for f in findings] == [("Planner.plan", 4, 5)]
    assert findings[0].to_text().startswith("app.py:4:5: AC001 ")


def test_call_finding_points_at_the_call_and_names_the_observation(tmp_path: Path) -> None:
    findings = lint_files(
        tmp_path,
        {
            "app.py": V3
            + """
def run():
    answer = 1 + len(get_client().start_observation(as_type="generation", name="answer").id)
"""
        },
        select=("AC001",),
    )
    assert [(f.symbol, f.line, f.column) for f in findings] == [
        ("answer", 3, 35)
    ]  # the called name
