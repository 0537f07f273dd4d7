"""The agents. Each call to a model is a Langfuse generation."""

from __future__ import annotations

from typing import Any

from research_crew.tracing import get_client, observe, tag_agent


@observe(as_type="generation")
def plan(question: str) -> list[str]:
    tag_agent("planner")
    return [f"background of {question}", f"recent work on {question}"]


@observe(as_type="generation")
def research(step: str) -> str:
    # forgot to call tag_agent("researcher"): this cost lands in "unknown"
    return f"notes on {step}"


def write(notes: list[str]) -> str:
    with get_client().start_as_current_observation(
        as_type="generation", name="writer", metadata={"agent_type": "writer"}
    ):
        return "\n".join(notes)


def critique(draft: str, metadata: dict[str, Any]) -> str:
    review = get_client().start_observation(as_type="generation", name="critic", metadata=metadata)
    review.end()
    return draft
