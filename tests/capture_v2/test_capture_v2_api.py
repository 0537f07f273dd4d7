"""The public query API of `agentcost_capture` on Langfuse 2.x: the same seed workflow, in v2 form.

The assertions are the SDK-neutral contract in tests/capture_contract.py, which
tests/capture/test_capture_api.py holds v3+ to as well. Only the id formats differ: v2 ids are
UUIDs, not OTel hex ids.
"""

from __future__ import annotations

import capture_contract as contract
import pytest
from v2_helpers import needs_usage_details
from v2_workflows import AnalysisWorkflow, run_seed_workflow

from pytest_agentcost.capture.model import Capture


def test_the_seed_workflow_is_one_trace_with_merged_attributes(agentcost_capture: Capture) -> None:
    trace = contract.assert_the_seed_workflow_is_one_trace_with_merged_attributes(
        agentcost_capture,
        run_seed_workflow,
        trace_id_length=36,  # a v2 trace id is a UUID
    )
    assert trace.root.id == trace.id  # the v2 trace is presented as its own root observation


def test_observation_fields_describe_the_generation(agentcost_capture: Capture) -> None:
    contract.assert_observation_fields_describe_the_generation(
        agentcost_capture, run_seed_workflow, observation_id_length=36
    )


@pytest.mark.parametrize("check", contract.SEED_WORKFLOW_CHECKS, ids=contract.check_id)
def test_the_seed_workflow_meets_the_capture_contract(
    agentcost_capture: Capture, check: contract.SeedWorkflowCheck
) -> None:
    check(agentcost_capture, run_seed_workflow)


@needs_usage_details
@pytest.mark.parametrize("check", contract.USAGE_DETAILS_CHECKS, ids=contract.check_id)
def test_the_seed_workflow_meets_the_usage_part_of_the_capture_contract(
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


def test_the_fixture_yields_a_capture_over_the_session_recorder(agentcost_capture: Capture) -> None:
    contract.assert_the_fixture_yields_a_capture_over_the_session_recorder(
        agentcost_capture, sdk_majors={"2"}
    )


def test_workflow_class_can_be_reused_across_runs(agentcost_capture: Capture) -> None:
    contract.assert_workflow_class_can_be_reused_across_runs(agentcost_capture, AnalysisWorkflow())
