"""The seed's `AnalysisWorkflow`, as written in the seed (Langfuse 2.x), captured and asserted.

The workflow is the shipped example `examples/seed_workflow/workflow_v2.py`; its stub agents report
real model names and realistic usage, cache reads included, and no cost, so every figure here is
priced offline from genai-prices. The expected prices come from genai-prices' own public API,
independently of pytest-agentcost's pricing code.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import uuid
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from v2_helpers import needs_usage_details

from pytest_agentcost.capture.model import Capture

pytestmark = needs_usage_details  # the example reports usage_details (Langfuse 2.57+)

EXAMPLES = Path(__file__).parents[2] / "examples"
PROVIDERS = {"gpt-4o": "openai", "claude-sonnet-4-5": "anthropic"}


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
    seed_workflow_v2: ModuleType, agentcost_capture: Capture
) -> None:
    analysis_id = uuid.uuid4()
    agents = run(seed_workflow_v2, analysis_id)

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
    seed_workflow_v2: ModuleType, agentcost_capture: Capture
) -> None:
    analysis_id = uuid.uuid4()
    run(seed_workflow_v2, analysis_id)

    trace = agentcost_capture.trace(session_id=str(analysis_id))

    assert trace.name == "content_analysis"
    assert trace.session_id == str(analysis_id)
    assert trace.tags == ["multi-agent"]
    agentcost_capture.assert_attributed()


def test_the_seed_workflow_trace_total_cost_and_usage_include_cache_reads(
    seed_workflow_v2: ModuleType, agentcost_capture: Capture
) -> None:
    agents = run(seed_workflow_v2, uuid.uuid4())

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
    seed_workflow_v2: ModuleType, agentcost_capture: Capture
) -> None:
    agents = run(seed_workflow_v2, uuid.uuid4())
    run(seed_workflow_v2, uuid.uuid4())  # the seed's query spans analyses: a second one

    costs = agentcost_capture.costs_by_agent()

    assert set(costs) == {a.name for a in agents}
    for agent in agents:
        assert costs[agent.name].total == 2 * expected_cost(agent)
        assert costs[agent.name].calls == 2
        assert costs[agent.name].cache_hits == (2 if agent.cache_read_tokens else 0)
        assert costs[agent.name].cache_read_input_tokens == 2 * agent.cache_read_tokens
    assert sum(c.total for c in costs.values()) == agentcost_capture.total_cost
    assert len(agentcost_capture.traces) == 2


def test_an_agent_that_reports_metadata_without_agent_type_loses_its_attribution_on_v2(
    seed_workflow_v2: ModuleType, agentcost_capture: Capture
) -> None:
    from langfuse.decorators import langfuse_context
    from seed_workflow.agents import StubAgent

    def report_cache_hit_only(agent: StubAgent) -> None:
        # v2 sends only the last metadata dict: this replaces run_agent's {"agent_type": ...}
        langfuse_context.update_current_observation(
            model=agent.model, usage_details=agent.usage_details(), metadata={"cache_hit": True}
        )

    agent = StubAgent("security", "gpt-4o", 1200, 350, 1024, report_cache_hit_only)
    workflow = seed_workflow_v2.AnalysisWorkflow([agent])
    asyncio.run(workflow.run_analysis("https://example.test", uuid.uuid4()))

    costs = agentcost_capture.costs_by_agent()

    assert list(costs) == ["unknown"]
    assert costs["unknown"].cache_hits == 1
    assert agentcost_capture.generations()[0].metadata == {"cache_hit": True}
    with pytest.raises(AssertionError, match="security_generation"):
        agentcost_capture.assert_attributed()


def test_the_seed_workflow_runs_unchanged_under_the_plugin_with_real_keys_and_no_network(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANGFUSE_PUBLIC_KEY", "pk-lf-11111111-2222-3333-4444-555555555555")
    monkeypatch.setenv("LANGFUSE_SECRET_KEY", "sk-lf-11111111-2222-3333-4444-555555555555")
    monkeypatch.setenv("LANGFUSE_HOST", "https://cloud.langfuse.com")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(EXAMPLES), os.environ["PYTHONPATH"]]))
    pytester.makeconftest(
        """
        from langfuse import Langfuse
        from langfuse.decorators import langfuse_context
        APP_CLIENT = Langfuse()                 # the application's client, built at import time
        DECORATOR_CLIENT = langfuse_context.client_instance
        """
    )
    pytester.makepyfile(
        """
        import asyncio, uuid
        from seed_workflow.workflow_v2 import AnalysisWorkflow

        def test_seed(agentcost_capture):
            analysis_id = uuid.uuid4()
            asyncio.run(AnalysisWorkflow().run_analysis("https://example.test", analysis_id))
            trace = agentcost_capture.trace(session_id=str(analysis_id))
            assert [c.agent_type for c in trace.root.children] == ["security", "tech", "synthesis"]
            assert agentcost_capture.costs_by_agent()["security"].cache_hits == 1

        @__import__("pytest").mark.agentcost(max_cost="0.000001")
        def test_budget(agentcost_capture):
            asyncio.run(AnalysisWorkflow().run_analysis("https://example.test", uuid.uuid4()))
        """
    )

    result = pytester.runpytest_subprocess("-p", "socket_guard")

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*security*", "*synthesis*"])  # the per-agent breakdown
    assert "network attempts" not in result.stdout.str()
