"""On Langfuse 2.x the tree holds across asyncio.gather, threads, generators and streaming; errors
and reads while an observation is open. Mirrors tests/capture/test_capture_hierarchy.py (v3+)."""

from __future__ import annotations

from decimal import Decimal

import capture_contract as contract
from capture_contract import TEAM
from v2_helpers import needs_usage_details
from v2_workflows import (
    Agent,
    AgentFailed,
    astream_root,
    failing_root,
    gather_root,
    record_generation,
    stream_root,
    thread_root,
)

from pytest_agentcost.capture.model import Capture


def test_asyncio_gather_children_hang_under_their_root(agentcost_capture: Capture) -> None:
    contract.assert_asyncio_gather_children_hang_under_their_root(agentcost_capture, gather_root)


def test_threads_with_a_copied_context_keep_their_parent(agentcost_capture: Capture) -> None:
    contract.assert_threads_with_a_copied_context_keep_their_parent(agentcost_capture, thread_root)


def test_threads_without_a_copied_context_become_separate_traces(
    agentcost_capture: Capture,
) -> None:
    thread_root(TEAM, copy_context=False)

    traces = agentcost_capture.traces

    # v2 wraps a top-level generation in a trace named after the function: the wrapper is the root
    assert sorted(t.root.name for t in traces) == sorted(["thread_root"] + ["sync_call"] * 3)
    wrapped = [t for t in traces if t.root.name == "sync_call"]
    assert sorted(t.generations()[0].agent_type or "" for t in wrapped) == sorted(
        a.name for a in TEAM
    )


def test_a_generator_generation_ends_when_the_stream_is_consumed(
    agentcost_capture: Capture,
) -> None:
    _root, generation = contract.assert_a_generator_generation_hangs_under_its_root_once_consumed(
        agentcost_capture, stream_root
    )

    assert generation.cost == Decimal("0.01")


def test_an_async_streaming_generation_hangs_under_its_root(agentcost_capture: Capture) -> None:
    contract.assert_an_async_streaming_generation_hangs_under_its_root(
        agentcost_capture, astream_root
    )


def test_an_exception_marks_the_observation_and_its_ancestors_error_and_cost_still_counts(
    agentcost_capture: Capture,
) -> None:
    generation = contract.assert_an_exception_marks_the_observation_and_its_ancestors_error(
        agentcost_capture, failing_root, AgentFailed, middle_name="failing_step"
    )

    assert generation.status_message == "critic timed out"


@needs_usage_details
def test_a_read_inside_an_open_observation_returns_what_v2_has_sent_so_far(
    agentcost_capture: Capture,
) -> None:
    from langfuse.decorators import langfuse_context, observe

    seen: dict[str, object] = {}

    @observe(as_type="generation")
    def finished_child() -> None:
        record_generation(Agent("child", cost="0.005"))

    @observe(as_type="generation")
    def open_child() -> None:
        # v2 keeps these in the decorator until the function returns: not sent yet
        langfuse_context.update_current_observation(model="gpt-4o", cost_details={"total": 0.25})
        trace = agentcost_capture.trace()
        [open_generation] = [c for c in trace.root.children if c.end_time is None]
        seen["open"] = (open_generation.name, open_generation.model, open_generation.cost)
        seen["root_end"] = trace.root.end_time
        seen["children"] = [c.name for c in trace.root.children]
        seen["total"] = trace.total_cost
        seen["tree"] = trace.tree()

    @observe()
    def open_root() -> None:
        finished_child()
        open_child()

    open_root()

    # the open generation is there, linked under its open root, with what its create event sent
    assert seen["open"] == ("open_child", None, Decimal(0))
    assert seen["root_end"] is None
    assert seen["children"] == ["child_generation", "open_child"]
    assert seen["total"] == Decimal("0.005")
    assert "(open)" in str(seen["tree"])
    after = agentcost_capture.trace()
    assert after.root.end_time is not None
    assert after.total_cost == Decimal("0.255")
