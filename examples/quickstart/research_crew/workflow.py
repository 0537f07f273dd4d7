"""The workflow: one trace per user request, grouped into the user's session."""

from __future__ import annotations

from research_crew import agents
from research_crew.tracing import get_client, observe, propagate_attributes


@observe()
def run_workflow(question: str, session_id: str) -> str:
    with propagate_attributes(session_id=session_id):
        notes = [agents.research(step) for step in agents.plan(question)]
        draft = agents.write(notes)
        return agents.critique(draft, {"agent_type": "critic"})


@observe()
def nightly_digest(questions: list[str]) -> list[str]:
    # a scheduled job: its traces belong to no session
    return [agents.write([question]) for question in questions]


def reindex() -> None:
    with get_client().start_as_current_observation(name="reindex"):
        pass
