"""The seed's `AnalysisWorkflow`, as written in the seed (Langfuse 2.x), captured and asserted.

The workflow is the shipped example `examples/seed_workflow/workflow_v2.py`; its stub agents report
real model names and realistic usage, cache reads included, and no cost, so every figure here is
priced offline from genai-prices. The expected prices come from genai-prices' own public API,
independently of pytest-agentcost's pricing code.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from types import ModuleType

import pytest
import seed_workflow_contract as seed
from v2_helpers import needs_usage_details

from pytest_agentcost.capture.model import Capture

pytestmark = needs_usage_details  # the example reports usage_details (Langfuse 2.57+)


def test_the_seed_workflow_is_one_trace_run_analysis_over_three_generations(
    seed_workflow_v2: ModuleType, agentcost_capture: Capture
) -> None:
    seed.assert_the_seed_workflow_is_one_trace_run_analysis_over_three_generations(
        agentcost_capture, seed_workflow_v2
    )


def test_the_seed_workflow_trace_carries_the_session_and_tags(
    seed_workflow_v2: ModuleType, agentcost_capture: Capture
) -> None:
    seed.assert_the_seed_workflow_trace_carries_the_session_and_tags(
        agentcost_capture, seed_workflow_v2
    )


def test_the_seed_workflow_trace_total_cost_and_usage_include_cache_reads(
    seed_workflow_v2: ModuleType, agentcost_capture: Capture
) -> None:
    seed.assert_the_seed_workflow_trace_total_cost_and_usage_include_cache_reads(
        agentcost_capture, seed_workflow_v2
    )


def test_costs_by_agent_answers_the_seed_query_with_total_calls_and_cache_hits(
    seed_workflow_v2: ModuleType, agentcost_capture: Capture
) -> None:
    seed.assert_costs_by_agent_answers_the_seed_query_with_total_calls_and_cache_hits(
        agentcost_capture, seed_workflow_v2
    )


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
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(seed.EXAMPLES), os.environ["PYTHONPATH"]])
    )
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
