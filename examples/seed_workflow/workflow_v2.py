"""The seed's `AnalysisWorkflow`, in its Langfuse SDK v2 form (langfuse 2.50 to 2.60).

`AnalysisWorkflow.run_analysis` and `run_agent` are the seed's code as written, except that the
seed never defines `content` (here it is fetched from `url`) nor the constructor that sets
`self.agents`.
"""

from __future__ import annotations

from uuid import UUID

from langfuse.decorators import langfuse_context, observe

from .agents import StubAgent, fetch_content, make_agents


def report_usage(agent: StubAgent) -> None:
    """What an instrumented LLM call reports on the current generation (v2 API).

    v2 replaces the whole metadata dict on every `update_current_observation(metadata=...)`, so
    `agent_type`, already set by `run_agent`, is sent again next to `cache_hit`; without it the
    generation would lose its agent.
    """
    langfuse_context.update_current_observation(
        model=agent.model,
        usage_details=agent.usage_details(),
        metadata={"agent_type": agent.name, "cache_hit": agent.cache_hit},
    )


# The seed's code, kept as written:
# fmt: off
class AnalysisWorkflow:
    def __init__(self, agents: list[StubAgent] | None = None) -> None:
        self.agents = agents if agents is not None else make_agents(report_usage)

    @observe(as_type="trace")
    async def run_analysis(self, url: str, analysis_id: UUID):
        """Parent trace aggregates child costs.

        Trace Hierarchy:
        run_analysis (trace)
        +-- security_agent (generation)
        +-- tech_agent (generation)
        +-- synthesis (generation)
        """
        langfuse_context.update_current_trace(
            name="content_analysis",
            session_id=str(analysis_id),
            tags=["multi-agent"]
        )
        content = fetch_content(url)  # not in the seed, which leaves `content` undefined

        for agent in self.agents:
            await self.run_agent(agent, content, analysis_id)

    @observe(as_type="generation")
    async def run_agent(self, agent, content, analysis_id):
        """Child generation - costs roll up to parent."""
        langfuse_context.update_current_observation(
            name=f"{agent.name}_generation",
            metadata={"agent_type": agent.name}
        )
        return await agent.analyze(content)
# fmt: on
