"""The seed's `AnalysisWorkflow` translated to Langfuse SDK v3.9+ / v4 / v5.

What changed from the v2 form (`workflow_v2.py`):
- `from langfuse import observe, get_client, propagate_attributes` (`langfuse.decorators` is gone);
- the root is a plain `@observe()`: v3+ has no "trace" observation type (`as_type="trace"` logs a
  warning and falls back to a span), the trace is implicit and its root is the outermost span;
- trace name, session and tags are set with `propagate_attributes(...)`, which stamps them on every
  span created inside (`update_current_trace` is gone in v4);
- observation metadata goes through `get_client().update_current_generation(metadata=...)`, which
  merges per key, so a later update does not erase `agent_type`.
"""

from __future__ import annotations

from uuid import UUID

from langfuse import get_client, observe, propagate_attributes

from .agents import StubAgent, fetch_content, make_agents


def report_usage(agent: StubAgent) -> None:
    """What an instrumented LLM call reports on the current generation (v3+ API)."""
    get_client().update_current_generation(
        model=agent.model,
        usage_details=agent.usage_details(),
        metadata={"cache_hit": agent.cache_hit},
    )


class AnalysisWorkflow:
    def __init__(self, agents: list[StubAgent] | None = None) -> None:
        self.agents = agents if agents is not None else make_agents(report_usage)

    @observe()
    async def run_analysis(self, url: str, analysis_id: UUID) -> None:
        """Parent trace aggregates child costs: run_analysis -> {security, tech, synthesis} generations."""
        content = fetch_content(url)
        with propagate_attributes(
            trace_name="content_analysis",
            session_id=str(analysis_id),
            tags=["multi-agent"],
        ):
            for agent in self.agents:
                await self.run_agent(agent, content, analysis_id)

    @observe(as_type="generation")
    async def run_agent(self, agent: StubAgent, content: str, analysis_id: UUID) -> str:
        """Child generation - costs roll up to parent."""
        get_client().update_current_generation(
            name=f"{agent.name}_generation",
            metadata={"agent_type": agent.name},
        )
        return await agent.analyze(content)
