"""Assertions on the shipped seed example, in its v2 form and its v3+ translation alike.

tests/capture_v2/test_seed_workflow_v2.py runs `examples/seed_workflow/workflow_v2.py` and
tests/examples/test_seed_workflow_v5.py runs `workflow_v5.py`; both hand the imported module to
these checks, so the workflow reads the same on both SDK lines. The expected prices come from
genai-prices' own public API, independently of pytest-agentcost's pricing code. Nothing here
imports langfuse.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

from pytest_agentcost.capture.model import Capture

EXAMPLES = Path(__file__).parents[1] / "examples"
PROVIDERS = {"gpt-4o": "openai", "claude-sonnet-4-5": "anthropic"}


def import_example(module_name: str) -> Iterator[ModuleType]:
    """Yield `seed_workflow.<module_name>` from examples/ (for a fixture), then unhook examples/."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        yield importlib.import_module(f"seed_workflow.{module_name}")
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


def assert_the_seed_workflow_is_one_trace_run_analysis_over_three_generations(
    capture: Capture, module: ModuleType
) -> None:
    agents = run(module, uuid.uuid4())

    trace = capture.trace("content_analysis")

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


def assert_the_seed_workflow_trace_carries_the_session_and_tags(
    capture: Capture, module: ModuleType
) -> None:
    analysis_id = uuid.uuid4()
    run(module, analysis_id)

    trace = capture.trace(session_id=str(analysis_id))

    assert trace.name == "content_analysis"
    assert trace.session_id == str(analysis_id)
    assert trace.tags == ["multi-agent"]
    capture.assert_attributed()


def assert_the_seed_workflow_trace_total_cost_and_usage_include_cache_reads(
    capture: Capture, module: ModuleType
) -> None:
    agents = run(module, uuid.uuid4())

    trace = capture.trace()

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


def assert_costs_by_agent_answers_the_seed_query_with_total_calls_and_cache_hits(
    capture: Capture, module: ModuleType
) -> None:
    agents = run(module, uuid.uuid4())
    run(module, uuid.uuid4())  # the seed's query spans analyses: a second one

    costs = capture.costs_by_agent()

    assert set(costs) == {a.name for a in agents}
    for agent in agents:
        assert costs[agent.name].total == 2 * expected_cost(agent)
        assert costs[agent.name].calls == 2
        assert costs[agent.name].cache_hits == (2 if agent.cache_read_tokens else 0)
        assert costs[agent.name].cache_read_input_tokens == 2 * agent.cache_read_tokens
    assert sum(c.total for c in costs.values()) == capture.total_cost
    assert len(capture.traces) == 2
