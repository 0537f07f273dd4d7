"""Metadata and trace attributes on Langfuse 2.x: raw JSON values, v2's replacement semantics,
and trace-level attributes that stay on the trace. Mirrors tests/capture/test_capture_metadata.py."""

from __future__ import annotations

from typing import Any

import capture_contract as contract

from pytest_agentcost.capture.model import Capture


def run_generation(metadata: Any, *updates: Any) -> None:
    from langfuse.decorators import langfuse_context, observe

    @observe(as_type="generation")
    def mixed() -> None:
        langfuse_context.update_current_observation(metadata=metadata)
        for update in updates:
            langfuse_context.update_current_observation(metadata=update)

    @observe()
    def root() -> None:
        mixed()

    root()


def test_observation_metadata_of_every_json_type_round_trips(agentcost_capture: Capture) -> None:
    contract.assert_observation_metadata_of_every_json_type_round_trips(
        agentcost_capture, run_generation
    )


def test_non_dict_metadata_is_kept_under_the_metadata_key(agentcost_capture: Capture) -> None:
    contract.assert_non_dict_metadata_is_kept_under_the_metadata_key(
        agentcost_capture, run_generation
    )


def test_a_second_metadata_update_replaces_the_first_as_v2_sends_it(
    agentcost_capture: Capture,
) -> None:
    run_generation({"agent_type": "planner"}, {"step": "2"})

    [generation] = agentcost_capture.generations()

    assert dict(generation.metadata) == {"step": "2"}
    assert list(agentcost_capture.costs_by_agent()) == ["unknown"]


def test_trace_metadata_does_not_attribute_the_generations_under_it(
    agentcost_capture: Capture,
) -> None:
    from langfuse.decorators import langfuse_context, observe

    @observe(as_type="generation")
    def call() -> None:
        pass

    @observe()
    def root() -> None:
        langfuse_context.update_current_trace(metadata={"agent_type": "orchestrator"})
        call()

    root()
    trace = agentcost_capture.trace()

    # v2 has no propagation: the trace's metadata stays on the trace (and its root)
    assert trace.metadata == {"agent_type": "orchestrator"}
    assert trace.generations()[0].agent_type is None


def test_update_current_observation_session_id_sets_the_session_only_at_the_top_level(
    agentcost_capture: Capture,
) -> None:
    from langfuse.decorators import langfuse_context, observe

    @observe()
    def nested() -> None:
        langfuse_context.update_current_observation(session_id="ignored-on-a-span")

    @observe()
    def top() -> None:
        langfuse_context.update_current_observation(session_id="s-top", user_id="u-1")
        nested()

    top()
    trace = agentcost_capture.trace()

    assert (trace.session_id, trace.user_id) == ("s-top", "u-1")


def test_a_low_level_trace_without_a_name_is_captured_with_its_generations(
    agentcost_capture: Capture,
) -> None:
    from langfuse import Langfuse

    client = Langfuse(public_key="pk-lf-x", secret_key="sk-lf-x")
    trace = client.trace(session_id="anonymous")
    trace.generation(name="g", model="gpt-4o", metadata={"agent_type": "solo"})

    found = agentcost_capture.trace(session_id="anonymous")

    assert found.root.name == ""
    assert found.id == trace.id
    assert [g.agent_type for g in found.generations()] == ["solo"]
