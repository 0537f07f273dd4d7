"""The seed's `AnalysisWorkflow` translated to Langfuse 3.9+ / 4.x / 5.x, asserted like the v2 form.

`examples/seed_workflow/workflow_v5.py` is the translation; these tests make the same assertions as
tests/capture_v2/test_seed_workflow_v2.py, so the workflow reads the same on both SDK lines. The
expected prices come from genai-prices' public API, independently of pytest-agentcost's pricing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.metadata
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pytest_agentcost.capture.model import Capture

EXAMPLES = Path(__file__).parents[2] / "examples"
PROVIDERS = {"gpt-4o": "openai", "claude-sonnet-4-5": "anthropic"}
LANGFUSE_MAJOR = int(importlib.metadata.version("langfuse").split(".")[0])

pytestmark = pytest.mark.skipif(
    LANGFUSE_MAJOR < 3, reason="the v5 translation needs Langfuse 3.9 or later"
)


@pytest.fixture
def seed_workflow_v5() -> Iterator[ModuleType]:
    """The shipped example `examples/seed_workflow/workflow_v5.py`, imported as a package module."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        import seed_workflow.workflow_v5 as module

        yield module
    finally:
        sys.path.remove(str(EXAMPLES))


def expected_cost(agent: Any) -> Decimal:
    """What the agent's call costs by genai-prices today (input there includes the cache reads)."""
    from genai_prices import Usage, calc_price

    usage = Usage(
        input_tokens=agent.input_tokens + agent.cache_read_tokens,
        cache_read_tokens=agent.cache_read_tokens,
        output_tokens=agent.output_tokens,
    )
    price = calc_price(
        usage,
        model_ref=agent.model,
        provider_id=PROVIDERS[agent.model],
        genai_request_timestamp=dt.datetime.now(dt.UTC),
    )
    return Decimal(price.total_price)


def run(module: ModuleType, analysis_id: uuid.UUID) -> list[Any]:
    """Run one analysis with the example's own agents; return those agents."""
    workflow = module.AnalysisWorkflow()
    asyncio.run(workflow.run_analysis("https://example.test/article", analysis_id))
    return list(workflow.agents)


def test_the_seed_workflow_is_one_trace_run_analysis_over_three_generations(
    seed_workflow_v5: ModuleType, agentcost_capture: Capture
) -> None:
    agents = run(seed_workflow_v5, uuid.uuid4())

    trace = agentcost_capture.trace("content_analysis")

    assert trace.root.name == "run_analysis"
    assert trace.root.parent is None
    assert [child.name for child in trace.root.children] == [
        "security_generation",
        "tech_generation",
        "synthesis_generation",
    ]
    assert [child.type for child in trace.root.children] == ["generation"] * 3
    assert [child.agent_type for child in trace.root.children] == [a.name for a in agents]
    assert [child.model for child in trace.root.children] == [a.model for a in agents]
    assert all(child.parent is trace.root for child in trace.root.children)


def test_the_seed_workflow_trace_carries_the_session_and_tags(
    seed_workflow_v5: ModuleType, agentcost_capture: Capture
) -> None:
    analysis_id = uuid.uuid4()
    run(seed_workflow_v5, analysis_id)

    trace = agentcost_capture.trace(session_id=str(analysis_id))

    assert trace.name == "content_analysis"
    assert trace.session_id == str(analysis_id)
    assert trace.tags == ["multi-agent"]
    agentcost_capture.assert_attributed()


def test_the_seed_workflow_trace_total_cost_and_usage_include_cache_reads(
    seed_workflow_v5: ModuleType, agentcost_capture: Capture
) -> None:
    agents = run(seed_workflow_v5, uuid.uuid4())

    trace = agentcost_capture.trace()

    assert trace.total_cost == sum(expected_cost(a) for a in agents)
    assert trace.total_cost > 0
    assert trace.usage.input_tokens == sum(a.input_tokens for a in agents)
    assert trace.usage.output_tokens == sum(a.output_tokens for a in agents)
    assert trace.usage.cache_read_input_tokens == sum(a.cache_read_tokens for a in agents)
    assert trace.usage.cache_read_input_tokens > 0
    assert trace.usage.total_tokens == sum(
        a.input_tokens + a.output_tokens + a.cache_read_tokens for a in agents
    )
    assert all(g.cost_source == "computed" for g in trace.generations())


def test_costs_by_agent_answers_the_seed_query_with_total_calls_and_cache_hits(
    seed_workflow_v5: ModuleType, agentcost_capture: Capture
) -> None:
    agents = run(seed_workflow_v5, uuid.uuid4())
    run(seed_workflow_v5, uuid.uuid4())  # the seed's query spans analyses: a second one

    costs = agentcost_capture.costs_by_agent()

    assert set(costs) == {a.name for a in agents}
    for agent in agents:
        assert costs[agent.name].total == 2 * expected_cost(agent)
        assert costs[agent.name].calls == 2
        assert costs[agent.name].cache_hits == (2 if agent.cache_read_tokens else 0)
        assert costs[agent.name].cache_read_input_tokens == 2 * agent.cache_read_tokens
    assert sum(c.total for c in costs.values()) == agentcost_capture.total_cost
    assert len(agentcost_capture.traces) == 2


def test_metadata_updates_merge_per_key_so_a_later_update_keeps_agent_type(
    seed_workflow_v5: ModuleType, agentcost_capture: Capture
) -> None:
    run(seed_workflow_v5, uuid.uuid4())

    security = agentcost_capture.generations(agent_type="security")[0]

    # run_agent set agent_type, the agent's report then set cache_hit: v3+ keeps both
    assert security.metadata["agent_type"] == "security"
    assert security.metadata["cache_hit"] is True
