"""Application sources and a file writer for the lint tests that build a small project on disk."""

from __future__ import annotations

from pathlib import Path

# A generation that never sets `agent_type`: one finding.
GENERATION_WITHOUT_AGENT_TYPE = """\
from langfuse import observe, propagate_attributes


@observe(as_type="generation")
def call_model(prompt):
    return prompt


@observe()
def run(prompt):
    with propagate_attributes(session_id="session-1"):
        return call_model(prompt)
"""

# The same application, attributed: no findings.
CLEAN = """\
from langfuse import get_client, observe, propagate_attributes


@observe(as_type="generation")
def call_model(prompt):
    get_client().update_current_generation(metadata={"agent_type": "planner"})
    return prompt


@observe()
def run(prompt):
    with propagate_attributes(session_id="session-1"):
        return call_model(prompt)
"""


def write_files(root: Path, files: dict[str, str]) -> None:
    """Write each `relative path: text` under root, creating its folders."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
