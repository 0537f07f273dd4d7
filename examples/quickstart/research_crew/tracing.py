"""One place to import tracing from, so the agents do not depend on Langfuse directly."""

from __future__ import annotations

from langfuse import get_client, observe, propagate_attributes

__all__ = ["get_client", "observe", "propagate_attributes", "tag_agent"]


def tag_agent(agent_type: str) -> None:
    """Attribute the current generation's cost to an agent."""
    get_client().update_current_generation(metadata={"agent_type": agent_type})
