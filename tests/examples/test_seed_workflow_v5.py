"""The seed's `AnalysisWorkflow` translated to Langfuse 3.9+ / 4.x / 5.x, asserted like the v2 form.

`examples/seed_workflow/workflow_v5.py` is the translation; these tests make the same assertions as
tests/capture_v2/test_seed_workflow_v2.py, so the workflow reads the same on both SDK lines. The
expected prices come from genai-prices' public API, independently of pytest-agentcost's pricing.
"""

from __future__ import annotations

import importlib.metadata
import uuid
from collections.abc import Iterator
from types import ModuleType

import pytest
import seed_workflow_contract as seed

from pytest_agentcost.capture.model import Capture

LANGFUSE_MAJOR = int(importlib.metadata.version("langfuse").split(".")[0])

pytestmark = pytest.mark.skipif(
    LANGFUSE_MAJOR < 3, reason="the v5 translation needs Langfuse 3.9 or later"
)


@pytest.fixture
def seed_workflow_v5() -> Iterator[ModuleType]:
    """The shipped example `examples/seed_workflow/workflow_v5.py`, imported as a package module."""
    yield from seed.import_example("workflow_v5")


def test_the_seed_workflow_is_one_trace_run_analysis_over_three_generations(
    seed_workflow_v5: ModuleType, agentcost_capture: Capture
) -> None:
    seed.assert_the_seed_workflow_is_one_trace_run_analysis_over_three_generations(
        agentcost_capture, seed_workflow_v5
    )


def test_the_seed_workflow_trace_carries_the_session_and_tags(
    seed_workflow_v5: ModuleType, agentcost_capture: Capture
) -> None:
    seed.assert_the_seed_workflow_trace_carries_the_session_and_tags(
        agentcost_capture, seed_workflow_v5
    )


def test_the_seed_workflow_trace_total_cost_and_usage_include_cache_reads(
    seed_workflow_v5: ModuleType, agentcost_capture: Capture
) -> None:
    seed.assert_the_seed_workflow_trace_total_cost_and_usage_include_cache_reads(
        agentcost_capture, seed_workflow_v5
    )


def test_costs_by_agent_answers_the_seed_query_with_total_calls_and_cache_hits(
    seed_workflow_v5: ModuleType, agentcost_capture: Capture
) -> None:
    seed.assert_costs_by_agent_answers_the_seed_query_with_total_calls_and_cache_hits(
        agentcost_capture, seed_workflow_v5
    )


def test_metadata_updates_merge_per_key_so_a_later_update_keeps_agent_type(
    seed_workflow_v5: ModuleType, agentcost_capture: Capture
) -> None:
    seed.run(seed_workflow_v5, uuid.uuid4())

    security = agentcost_capture.generations(agent_type="security")[0]

    # run_agent set agent_type, the agent's report then set cache_hit: v3+ keeps both
    assert security.metadata["agent_type"] == "security"
    assert security.metadata["cache_hit"] is True
