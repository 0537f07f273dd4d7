"""The tree holds across asyncio.gather, threads, generators and streaming; errors and open reads."""

from __future__ import annotations

from decimal import Decimal

import capture_contract as contract
from capture_contract import TEAM
from capture_workflows import (
    Agent,
    AgentFailed,
    astream_root,
    failing_root,
    gather_root,
    record_generation,
    stream_root,
    thread_root,
)
from langfuse import get_client, observe

from pytest_agentcost.capture.model import Capture


def test_asyncio_gather_children_hang_under_their_root(agentcost_capture: Capture) -> None:
    contract.assert_asyncio_gather_children_hang_under_their_root(agentcost_capture, gather_root)


def test_threads_with_a_copied_context_keep_their_parent(agentcost_capture: Capture) -> None:
    contract.assert_threads_with_a_copied_context_keep_their_parent(agentcost_capture, thread_root)


def test_threads_without_a_copied_context_become_separate_traces(
    agentcost_capture: Capture,
) -> None:
    thread_root(TEAM, copy_context=False)

    roots = sorted(t.root.name for t in agentcost_capture.traces)

    assert roots == sorted(["thread_root"] + [f"{a.name}_generation" for a in TEAM])


def test_a_generator_generation_ends_when_the_stream_is_consumed(
    agentcost_capture: Capture,
) -> None:
    root, generation = contract.assert_a_generator_generation_hangs_under_its_root_once_consumed(
        agentcost_capture, stream_root
    )

    assert generation.end_time is not None and root.end_time is not None
    assert generation.end_time <= root.end_time


def test_an_async_streaming_generation_hangs_under_its_root(agentcost_capture: Capture) -> None:
    contract.assert_an_async_streaming_generation_hangs_under_its_root(
        agentcost_capture, astream_root
    )


def test_an_exception_marks_the_observation_and_its_ancestors_error_and_cost_still_counts(
    agentcost_capture: Capture,
) -> None:
    generation = contract.assert_an_exception_marks_the_observation_and_its_ancestors_error(
        agentcost_capture, failing_root, AgentFailed, middle_name="middle"
    )

    assert generation.status_message is not None and "critic failed" in generation.status_message


def test_a_read_inside_an_open_observation_returns_it_open_and_complete(
    agentcost_capture: Capture,
) -> None:
    seen: dict[str, object] = {}

    @observe(as_type="generation", name="finished_child")
    def finished_child() -> None:
        record_generation(Agent("child", cost="0.005"))

    @observe(name="open_root")
    def open_root() -> None:
        finished_child()
        get_client().update_current_span(metadata={"agent_type": "orchestrator"})
        trace = agentcost_capture.trace()
        seen["root_end"] = trace.root.end_time
        seen["root_name"] = trace.root.name
        seen["root_agent"] = trace.root.agent_type
        seen["children"] = [c.name for c in trace.root.children]
        seen["child_parent"] = trace.root.children[0].parent is trace.root
        seen["total"] = trace.total_cost
        seen["count"] = len(agentcost_capture.observations)
        seen["tree"] = trace.tree()

    open_root()

    assert seen["root_end"] is None
    assert seen["root_name"] == "open_root"
    assert seen["root_agent"] == "orchestrator"
    assert seen["children"] == ["child_generation"]
    assert seen["child_parent"] is True
    assert seen["total"] == Decimal("0.005")
    assert seen["count"] == 2
    assert "(open)" in str(seen["tree"])
    after = agentcost_capture.trace()
    assert after.root.end_time is not None
    assert len(agentcost_capture.observations) == 2


def test_an_open_generation_read_from_inside_shows_what_it_has_so_far(
    agentcost_capture: Capture,
) -> None:
    seen: dict[str, object] = {}

    @observe(as_type="generation", name="in_progress")
    def in_progress() -> None:
        get_client().update_current_generation(model="gpt-4o", cost_details={"total": 0.25})
        [generation] = agentcost_capture.generations()
        seen["open"] = generation.end_time is None
        seen["cost"] = generation.cost

    in_progress()

    assert seen == {"open": True, "cost": Decimal("0.25")}
