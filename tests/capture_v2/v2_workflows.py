"""Application code for the v2 capture tests: the seed's multi-agent workflow on Langfuse 2.x.

Real v2 application code (`langfuse.decorators.observe`, `langfuse_context`), so the tests exercise
exactly what the 2.x SDK emits. Every agent reports its model, usage and, unless told not to, its
cost, from inside its generation, the way the seed's generations do.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from capture_contract import SEED_AGENTS, Agent
from langfuse.decorators import langfuse_context, observe

#: `usage_details` / `cost_details` arrived in 2.57; older 2.x releases only have the legacy `usage`.
HAS_USAGE_DETAILS = (
    "usage_details" in inspect.signature(langfuse_context.update_current_observation).parameters
)


def record_generation(agent: Agent, *, with_agent_type: bool = True) -> None:
    """What each agent call reports to Langfuse from inside its generation (one metadata dict)."""
    metadata: dict[str, Any] = {"cache_hit": agent.cache_hit, **agent.extra_metadata}
    if with_agent_type:
        metadata["agent_type"] = agent.name
    cost = float(agent.cost) if agent.cost is not None else None
    if HAS_USAGE_DETAILS:
        usage: dict[str, Any] = {
            "usage_details": agent.usage_details(),
            "cost_details": {"total": cost} if cost is not None else None,
        }
    else:  # the legacy usage object has no cache keys: cache reads are not reported
        legacy = {"input": agent.input_tokens, "output": agent.output_tokens, "totalCost": cost}
        usage = {"usage": {key: value for key, value in legacy.items() if value is not None}}
    langfuse_context.update_current_observation(
        name=f"{agent.name}_generation", model=agent.model, metadata=metadata, **usage
    )


class AnalysisWorkflow:
    """The seed's hierarchical rollup in v2 form: the decorated top-level call is the trace."""

    def __init__(
        self, agents: tuple[Agent, ...] = SEED_AGENTS, *, with_agent_type: bool = True
    ) -> None:
        self.agents = agents
        self.with_agent_type = with_agent_type

    @observe(as_type="trace")
    async def run_analysis(self, url: str, analysis_id: str | None) -> list[str]:
        langfuse_context.update_current_trace(
            name="content_analysis", session_id=analysis_id, tags=["multi-agent"]
        )
        return [await self.run_agent(agent, url) for agent in self.agents]

    @observe(as_type="generation")
    async def run_agent(self, agent: Agent, content: str) -> str:
        record_generation(agent, with_agent_type=self.with_agent_type)
        await asyncio.sleep(0)
        return f"{agent.name}: {content}"


def run_seed_workflow(analysis_id: str | None = "analysis-1", **kwargs: Any) -> list[str]:
    return asyncio.run(AnalysisWorkflow(**kwargs).run_analysis("https://example.test", analysis_id))


# -- shapes of concurrency ---------------------------------------------------------------------


@observe(as_type="generation")
async def async_call(agent: Agent) -> str:
    await asyncio.sleep(0)
    record_generation(agent)
    await asyncio.sleep(0)
    return agent.name


@observe()
async def gather_root(agents: tuple[Agent, ...]) -> list[str]:
    langfuse_context.update_current_trace(session_id="gather-session")
    return list(await asyncio.gather(*(async_call(a) for a in agents)))


@observe(as_type="generation")
def sync_call(agent: Agent) -> str:
    record_generation(agent)
    return agent.name


@observe()
def thread_root(agents: tuple[Agent, ...], *, copy_context: bool) -> list[str]:
    with ThreadPoolExecutor(max_workers=len(agents)) as pool:
        if copy_context:
            futures = [pool.submit(contextvars.copy_context().run, sync_call, a) for a in agents]
        else:
            futures = [pool.submit(sync_call, a) for a in agents]
        return [f.result() for f in futures]


@observe(as_type="generation")
def stream_tokens(agent: Agent) -> Iterator[str]:
    record_generation(agent)
    yield from ("a", "b", "c")


@observe()
def stream_root(agent: Agent) -> str:
    return "".join(stream_tokens(agent))


@observe(as_type="generation")
async def astream_tokens(agent: Agent) -> AsyncIterator[str]:
    record_generation(agent)
    for token in ("x", "y"):
        await asyncio.sleep(0)
        yield token


@observe()
async def astream_root(agent: Agent) -> str:
    return "".join([token async for token in astream_tokens(agent)])


class AgentFailed(RuntimeError):
    pass


@observe(as_type="generation")
def failing_call(agent: Agent) -> None:
    record_generation(agent)
    raise AgentFailed(f"{agent.name} timed out")


@observe()
def failing_step(agent: Agent) -> None:
    failing_call(agent)


@observe()
def failing_root(agent: Agent) -> None:
    failing_step(agent)
