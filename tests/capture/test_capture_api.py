"""The public query API of `agentcost_capture`, on the seed's workflow and the real SDK.

The assertions are the SDK-neutral contract in tests/capture_contract.py, which
tests/capture_v2/test_capture_v2_api.py holds Langfuse 2.x to as well; v3+ ids are OTel hex ids.
"""

from __future__ import annotations

from decimal import Decimal

import capture_contract as contract
import pytest
from capture_workflows import AnalysisWorkflow, run_seed_workflow

from pytest_agentcost.capture.model import Capture


def test_the_seed_workflow_is_one_trace_with_merged_attributes(agentcost_capture: Capture) -> None:
    contract.assert_the_seed_workflow_is_one_trace_with_merged_attributes(
        agentcost_capture, run_seed_workflow, trace_id_length=32
    )


def test_observation_fields_describe_the_generation(agentcost_capture: Capture) -> None:
    contract.assert_observation_fields_describe_the_generation(
        agentcost_capture, run_seed_workflow, observation_id_length=16
    )


@pytest.mark.parametrize(
    "check", contract.SEED_WORKFLOW_CHECKS + contract.USAGE_DETAILS_CHECKS, ids=contract.check_id
)
def test_the_seed_workflow_meets_the_capture_contract(
    agentcost_capture: Capture, check: contract.SeedWorkflowCheck
) -> None:
    check(agentcost_capture, run_seed_workflow)


def test_assert_attributed_passes_when_every_generation_and_trace_is_attributed(
    agentcost_capture: Capture,
) -> None:
    run_seed_workflow()

    agentcost_capture.assert_attributed()


def test_trace_lookup_with_nothing_captured_says_so(agentcost_capture: Capture) -> None:
    contract.assert_trace_lookup_with_nothing_captured_says_so(agentcost_capture)


def test_computed_costs_use_pyproject_prices_and_unknown_costs_raise(
    agentcost_capture: Capture,
) -> None:
    contract.assert_computed_costs_use_pyproject_prices_and_unknown_costs_raise(run_seed_workflow)
    agentcost_capture.clear()  # keep the deliberately unpriced models out of the run-wide report


def test_the_fixture_yields_a_capture_over_the_session_recorder(agentcost_capture: Capture) -> None:
    contract.assert_the_fixture_yields_a_capture_over_the_session_recorder(
        agentcost_capture, sdk_majors={"3", "4", "5"}
    )


def test_workflow_class_can_be_reused_across_runs(agentcost_capture: Capture) -> None:
    contract.assert_workflow_class_can_be_reused_across_runs(agentcost_capture, AnalysisWorkflow())


def test_embeddings_count_as_generations_and_agents_and_tools_as_spans(
    agentcost_capture: Capture,
) -> None:
    from langfuse import get_client, observe

    @observe(as_type="embedding", name="embed")
    def embed() -> None:
        get_client().update_current_generation(
            model="text-embedding-3-small",
            usage_details={"input": 12},
            cost_details={"total": 0.0001},
            metadata={"agent_type": "retriever"},
        )

    @observe(as_type="tool", name="search")
    def search() -> None:
        embed()

    @observe(as_type="agent", name="researcher")
    def researcher() -> None:
        search()

    researcher()

    trace = agentcost_capture.trace()
    assert [(o.name, o.type) for o in trace.observations] == [
        ("researcher", "agent"),
        ("search", "tool"),
        ("embed", "embedding"),
    ]
    assert [g.name for g in agentcost_capture.generations()] == ["embed"]
    assert trace.root.cost is None and trace.root.children[0].cost is None
    assert trace.root.total_cost == Decimal("0.0001")
    assert agentcost_capture.costs_by_agent()["retriever"].calls == 1


def test_observation_walk_and_trees_cover_the_whole_subtree(agentcost_capture: Capture) -> None:
    run_seed_workflow("walk")

    trace = agentcost_capture.trace()
    walked = list(trace.root.walk())

    assert walked == trace.observations
    assert trace.top_level == (trace.root,)
    assert trace.root.tree() == "\n".join(line[2:] for line in trace.tree().splitlines()[1:])
    assert agentcost_capture.tree() == trace.tree()
    assert all(o.is_generation for o in walked[1:]) and not walked[0].is_generation
    assert walked[1].record.id == walked[1].id
    assert walked[1].id in walked[1].label and walked[1].name in walked[1].label


def test_traces_are_listed_in_start_order(agentcost_capture: Capture) -> None:
    for session in ("one", "two", "three"):
        run_seed_workflow(session)

    assert [t.session_id for t in agentcost_capture.traces] == ["one", "two", "three"]
    assert agentcost_capture.tree().count("trace 'content_analysis'") == 3
