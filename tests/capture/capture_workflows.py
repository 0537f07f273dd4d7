"""Application code for the capture tests: the seed's multi-agent workflow on Langfuse 3.9+.

It is real application code (real `@observe`, `propagate_attributes`, `get_client`), so the
tests exercise exactly what the SDK emits. Every agent sends its usage and, unless told not to,
its cost (`cost_details`), as the seed's generations do.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from capture_contract import SEED_AGENTS, Agent
from langfuse import get_client, observe, propagate_attributes


def record_generation(agent: Agent, *, with_agent_type: bool = True) -> None:
    """What each agent call reports to Langfuse from inside its generation."""
    metadata: dict[str, Any] = {"cache_hit": agent.cache_hit, **agent.extra_metadata}
    if with_agent_type:
        metadata["agent_type"] = agent.name
    get_client().update_current_generation(
        name=f"{agent.name}_generation",
        model=agent.model,
        usage_details=agent.usage_details(),
        cost_details={"total": float(agent.cost)} if agent.cost is not None else None,
        metadata=metadata,
    )


class AnalysisWorkflow:
    """The seed's hierarchical rollup: one trace, one generation per agent."""

    def __init__(
        self, agents: tuple[Agent, ...] = SEED_AGENTS, *, with_agent_type: bool = True
    ) -> None:
        self.agents = agents
        self.with_agent_type = with_agent_type

    @observe(name="run_analysis")
    async def run_analysis(self, url: str, analysis_id: str | None) -> list[str]:
        with propagate_attributes(
            trace_name="content_analysis",
            session_id=analysis_id,
            tags=["multi-agent"],
        ):
            return [await self.run_agent(agent, url) for agent in self.agents]

    @observe(as_type="generation")
    async def run_agent(self, agent: Agent, content: str) -> str:
        record_generation(agent, with_agent_type=self.with_agent_type)
        await asyncio.sleep(0)
        return f"{agent.name}: {content}"


def run_seed_workflow(analysis_id: str | None = "analysis-1", **kwargs: Any) -> list[str]:
    return asyncio.run(AnalysisWorkflow(**kwargs).run_analysis("https://example.test", analysis_id))


# -- shapes of concurrency ---------------------------------------------------------------------


@observe(as_type="generation", name="call")
async def async_call(agent: Agent) -> str:
    await asyncio.sleep(0)
    record_generation(agent)
    await asyncio.sleep(0)
    return agent.name


@observe(name="gather_root")
async def gather_root(agents: tuple[Agent, ...]) -> list[str]:
    with propagate_attributes(session_id="gather-session"):
        return list(await asyncio.gather(*(async_call(a) for a in agents)))


@observe(as_type="generation", name="call")
def sync_call(agent: Agent) -> str:
    record_generation(agent)
    return agent.name


@observe(name="thread_root")
def thread_root(agents: tuple[Agent, ...], *, copy_context: bool) -> list[str]:
    with ThreadPoolExecutor(max_workers=len(agents)) as pool:
        if copy_context:
            futures = [pool.submit(contextvars.copy_context().run, sync_call, a) for a in agents]
        else:
            futures = [pool.submit(sync_call, a) for a in agents]
        return [f.result() for f in futures]


@observe(as_type="generation", name="stream")
def stream_tokens(agent: Agent) -> Iterator[str]:
    record_generation(agent)
    yield from ("a", "b", "c")


@observe(name="stream_root")
def stream_root(agent: Agent) -> str:
    return "".join(stream_tokens(agent))


@observe(as_type="generation", name="astream")
async def astream_tokens(agent: Agent) -> AsyncIterator[str]:
    record_generation(agent)
    for token in ("x", "y"):
        await asyncio.sleep(0)
        yield token


@observe(name="astream_root")
async def astream_root(agent: Agent) -> str:
    return "".join([token async for token in astream_tokens(agent)])


class AgentFailed(RuntimeError):
    pass


@observe(as_type="generation", name="failing_call")
def failing_call(agent: Agent) -> None:
    record_generation(agent)
    raise AgentFailed(f"{agent.name} failed")


@observe(name="middle")
def middle(agent: Agent) -> None:
    failing_call(agent)


@observe(name="failing_root")
def failing_root(agent: Agent) -> None:
    middle(agent)
