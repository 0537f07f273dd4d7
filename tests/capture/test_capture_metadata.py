"""Metadata and trace attributes are decoded the way each SDK version encodes them."""

from __future__ import annotations

import importlib.metadata
from typing import Any

import capture_contract as contract
import pytest
from langfuse import get_client, observe, propagate_attributes
from opentelemetry.sdk.trace import TracerProvider

from pytest_agentcost.capture.model import Capture
from pytest_agentcost.capture.sdk_otel import span_to_record

MAJOR = int(importlib.metadata.version("langfuse").split(".")[0])


@observe(as_type="generation", name="mixed")
def mixed_metadata_generation(metadata: Any) -> None:
    get_client().update_current_generation(metadata=metadata)


def test_observation_metadata_of_every_json_type_round_trips(agentcost_capture: Capture) -> None:
    contract.assert_observation_metadata_of_every_json_type_round_trips(
        agentcost_capture, mixed_metadata_generation
    )


def test_non_dict_metadata_is_kept_under_the_metadata_key(agentcost_capture: Capture) -> None:
    contract.assert_non_dict_metadata_is_kept_under_the_metadata_key(
        agentcost_capture, mixed_metadata_generation
    )


def test_metadata_updates_merge_per_key(agentcost_capture: Capture) -> None:
    @observe(as_type="generation", name="merged")
    def merged() -> None:
        get_client().update_current_generation(metadata={"agent_type": "planner"})
        get_client().update_current_generation(metadata={"step": "2"})

    merged()

    assert dict(agentcost_capture.generations()[0].metadata) == {
        "agent_type": "planner",
        "step": "2",
    }


@observe(as_type="generation", name="child")
def child_generation(own_agent_type: str | None) -> None:
    if own_agent_type is not None:
        get_client().update_current_generation(metadata={"agent_type": own_agent_type})


@observe(name="root")
def propagated_root(own_agent_type: str | None) -> None:
    with propagate_attributes(
        metadata={"agent_type": "from-trace", "team": "research"},
        session_id="s-1",
        user_id="u-1",
        tags=["a", "b"],
    ):
        child_generation(own_agent_type)


def test_agent_type_falls_back_to_propagated_trace_metadata_on_the_same_span(
    agentcost_capture: Capture,
) -> None:
    propagated_root(None)

    trace = agentcost_capture.trace()
    [generation] = trace.generations()

    assert generation.agent_type == "from-trace"
    assert "agent_type" not in generation.metadata  # it is trace metadata, not the observation's
    assert dict(trace.metadata) == {"agent_type": "from-trace", "team": "research"}
    assert (trace.session_id, trace.user_id, trace.tags) == ("s-1", "u-1", ["a", "b"])


def test_the_observation_agent_type_wins_over_the_propagated_one(
    agentcost_capture: Capture,
) -> None:
    propagated_root("own")

    assert agentcost_capture.generations()[0].agent_type == "own"


def test_a_trace_without_a_trace_name_is_named_after_its_root(agentcost_capture: Capture) -> None:
    propagated_root(None)

    assert agentcost_capture.trace().name == "root"
    assert agentcost_capture.trace("root").root.name == "root"


@pytest.mark.skipif(MAJOR != 3, reason="update_current_trace exists only in Langfuse 3.x")
def test_v3_update_current_trace_sets_name_session_and_metadata(agentcost_capture: Capture) -> None:
    @observe(name="v3_root")
    def v3_root() -> None:
        get_client().update_current_trace(
            name="v3-trace", session_id="v3-session", metadata={"k": 1}
        )

    v3_root()

    trace = agentcost_capture.trace("v3-trace")
    assert trace.session_id == "v3-session"
    assert dict(trace.metadata) == {"k": 1}


def _record(attributes: dict[str, Any], *, json_metadata: bool) -> Any:
    """A real OTel span with exactly these attributes, decoded as the given SDK line would."""
    tracer = TracerProvider().get_tracer("langfuse-sdk", "test")
    with tracer.start_as_current_span("s", attributes=attributes) as span:
        pass
    return span_to_record(span, json_metadata=json_metadata)


def test_v5_decodes_every_metadata_value_as_json() -> None:
    attributes = {
        "langfuse.observation.metadata.agent_type": '"planner"',
        "langfuse.observation.metadata.n": "7",
        "langfuse.observation.metadata.flag": "true",
        "langfuse.observation.metadata.nested": '{"a":1,"b":[1,2]}',
        "langfuse.observation.metadata.looks_like_json": '"{\\"x\\": 1}"',
        "langfuse.trace.metadata.team": '"research"',
    }

    record = _record(attributes, json_metadata=True)

    assert dict(record.metadata) == {
        "agent_type": "planner",
        "n": 7,
        "flag": True,
        "nested": {"a": 1, "b": [1, 2]},
        "looks_like_json": '{"x": 1}',
    }
    assert dict(record.trace.metadata) == {"team": "research"}


def test_v3_and_v4_keep_raw_strings_and_decode_json_encoded_values() -> None:
    attributes = {
        "langfuse.observation.metadata.agent_type": "planner",
        "langfuse.observation.metadata.quoted": '"planner"',
        "langfuse.observation.metadata.n": 7,
        "langfuse.observation.metadata.flag": True,
        "langfuse.observation.metadata.f": "0.5",
        "langfuse.observation.metadata.nested": '{"a": 1, "b": [1, 2]}',
        "langfuse.observation.metadata.number_text": "7",
        "langfuse.trace.metadata.v4_repr": "{'a': 1}",
    }

    record = _record(attributes, json_metadata=False)

    assert dict(record.metadata) == {
        "agent_type": "planner",
        "quoted": '"planner"',
        "n": 7,
        "flag": True,
        "f": 0.5,
        "nested": {"a": 1, "b": [1, 2]},
        "number_text": "7",
    }
    assert dict(record.trace.metadata) == {"v4_repr": "{'a': 1}"}


def test_usage_cost_and_level_attributes_are_decoded() -> None:
    record = _record(
        {
            "langfuse.observation.type": "embedding",
            "langfuse.observation.model.name": "text-embedding-3-small",
            "langfuse.observation.usage_details": '{"input": 12}',
            "langfuse.observation.cost_details": '{"total": 0.001}',
            "langfuse.observation.level": "WARNING",
            "langfuse.observation.status_message": "slow",
            "langfuse.trace.tags": ("x", "y"),
        },
        json_metadata=True,
    )

    assert (record.type, record.model, record.level, record.status_message) == (
        "embedding",
        "text-embedding-3-small",
        "WARNING",
        "slow",
    )
    assert dict(record.usage_details) == {"input": 12}
    assert record.cost_details is not None and str(record.cost_details["total"]) == "0.001"
    assert record.trace.tags == ("x", "y")
    assert record.end_time is not None and record.start_time <= record.end_time
