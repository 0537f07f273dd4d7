"""The Langfuse 2.x adapter against the real SDK: what each v2 event shape becomes as records.

These tests read the recorder (`capture.sdk.install_recorder()`) directly, below the fixture, so
that each v2 quirk (repeated trace-create, details only in -update events, metadata replacement,
legacy usage) is pinned to the record it produces. The fixture-level behaviour is in
`test_capture_v2.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from v2_helpers import needs_usage_details

from pytest_agentcost.capture.records import ObservationRecord
from pytest_agentcost.capture.sdk import Recorder, install_recorder

OFFLINE = {
    "public_key": "pk-lf-v2-test",
    "secret_key": "sk-lf-v2-test",
    "host": "http://127.0.0.1:9",
}


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """The process-wide v2 recorder, emptied before and after the test."""
    found = install_recorder()
    found.clear()
    yield found
    found.clear()


@pytest.fixture
def client() -> Any:
    """A real low-level v2 client pointed at a closed local port."""
    from langfuse import Langfuse

    return Langfuse(**OFFLINE)


def by_name(records: list[ObservationRecord]) -> dict[str, ObservationRecord]:
    return {record.name: record for record in records}


def test_the_recorder_is_the_v2_adapter_for_the_installed_sdk(recorder: Recorder) -> None:
    import langfuse.version

    from pytest_agentcost.capture.sdk_v2 import V2Recorder

    assert isinstance(recorder, V2Recorder)
    assert recorder.sdk_version == langfuse.version.__version__


def test_the_patched_task_manager_is_the_class_every_client_uses(
    recorder: Recorder, client: Any
) -> None:
    from pytest_agentcost.capture.sdk_v2 import task_manager_class

    assert type(client.task_manager) is task_manager_class()
    assert task_manager_class().add_task.__doc__ is not None
    assert "pytest-agentcost" in task_manager_class().add_task.__doc__


def test_decorated_top_level_function_is_the_root_and_generations_are_its_children(
    recorder: Recorder,
) -> None:
    from langfuse.decorators import langfuse_context, observe

    @observe(as_type="generation")
    def call_model(agent: str) -> str:
        langfuse_context.update_current_observation(metadata={"agent_type": agent})
        return agent

    @observe(as_type="trace")
    def workflow() -> None:
        call_model("planner")
        call_model("writer")

    workflow()
    records = recorder.records()

    root = records[0]
    assert (root.name, root.type, root.parent_id) == ("workflow", "span", None)
    assert root.id == root.trace_id
    children = records[1:]
    assert [child.metadata["agent_type"] for child in children] == ["planner", "writer"]
    assert {(child.type, child.parent_id, child.trace_id) for child in children} == {
        ("generation", root.id, root.id)
    }
    assert root.end_time is not None and all(child.end_time is not None for child in children)


@needs_usage_details
def test_generation_details_sent_only_in_the_update_event_are_captured(recorder: Recorder) -> None:
    from langfuse.decorators import langfuse_context, observe

    @observe(as_type="generation")
    def call_model() -> None:
        langfuse_context.update_current_observation(
            name="renamed",
            model="gpt-4o",
            model_parameters={"temperature": 0.2},
            usage_details={"input": 100, "output": 20, "cache_read_input_tokens": 50},
            cost_details={"input": 0.0005, "output": 0.0002, "total": 0.0007},
        )

    @observe()
    def workflow() -> None:
        call_model()

    workflow()
    generation = by_name(recorder.records())["renamed"]

    assert generation.model == "gpt-4o"
    # v2's pydantic body types model parameters as str | int | bool | list[str]: 0.2 is sent as "0.2"
    assert generation.model_parameters == {"temperature": "0.2"}
    assert generation.usage_details == {"input": 100, "output": 20, "cache_read_input_tokens": 50}
    assert generation.cost_details == {
        "input": Decimal("0.0005"),
        "output": Decimal("0.0002"),
        "total": Decimal("0.0007"),
    }


def test_trace_sent_several_times_is_merged_with_later_values_winning_and_tags_once(
    recorder: Recorder,
) -> None:
    from langfuse.decorators import langfuse_context, observe

    @observe(as_type="trace")
    def workflow() -> None:
        langfuse_context.update_current_trace(tags=["multi-agent"], metadata={"team": "research"})
        langfuse_context.update_current_trace(name="first")
        langfuse_context.update_current_trace(name="final", session_id="s-1", user_id="u-1")

    workflow()
    (root,) = recorder.records()

    assert root.name == "workflow"  # the decorated function: the root observation
    assert root.trace.name == "final"  # the last name sent: the trace
    assert (root.trace.session_id, root.trace.user_id) == ("s-1", "u-1")
    assert root.trace.tags == ("multi-agent",)  # sent twice (2.55+: at the update and at the end)
    assert root.trace.metadata == {"team": "research"}


def test_trace_events_with_the_same_id_union_their_tags_and_merge_their_metadata(
    recorder: Recorder, client: Any
) -> None:
    client.trace(id="trace-1", name="first", tags=["b", "a"], metadata={"team": "research"})
    client.trace(id="trace-1", tags=["c", "b"], metadata={"run": 1})
    client.trace(id="trace-1", name="final", session_id="s-1")

    (root,) = recorder.records()

    assert (root.id, root.name, root.trace.name) == ("trace-1", "first", "final")
    assert root.trace.tags == ("a", "b", "c")
    assert root.trace.metadata == {"team": "research", "run": 1}
    assert root.trace.session_id == "s-1"


def test_repeated_update_current_observation_metadata_keeps_only_the_last_dict(
    recorder: Recorder,
) -> None:
    from langfuse.decorators import langfuse_context, observe

    @observe(as_type="generation")
    def call_model() -> None:
        langfuse_context.update_current_observation(metadata={"agent_type": "planner"})
        langfuse_context.update_current_observation(metadata={"cache_hit": True})

    @observe()
    def workflow() -> None:
        call_model()

    workflow()
    generation = by_name(recorder.records())["call_model"]

    assert generation.metadata == {"cache_hit": True}  # what the server stores: agent_type is gone


def test_metadata_sent_in_separate_events_is_merged_per_key_like_the_server(
    recorder: Recorder, client: Any
) -> None:
    trace = client.trace(name="low-level")
    generation = trace.generation(name="call", metadata={"agent_type": "planner", "deep": {"a": 1}})
    generation.update(metadata={"cache_hit": True, "deep": {"b": 2}})
    generation.end(metadata={"agent_type": "writer"})

    record = by_name(recorder.records())["call"]

    assert record.metadata == {"agent_type": "writer", "cache_hit": True, "deep": {"a": 1, "b": 2}}


def test_metadata_that_is_not_a_dict_is_kept_under_the_metadata_key(
    recorder: Recorder, client: Any
) -> None:
    client.trace(name="t").span(name="s", metadata="just-a-string")

    assert by_name(recorder.records())["s"].metadata == {"metadata": "just-a-string"}


@pytest.mark.parametrize(
    ("usage", "expected_usage", "expected_cost"),
    [
        pytest.param(
            {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15, "total_cost": 0.25},
            {"input": 10, "output": 5, "total": 15},
            {"total": Decimal("0.25")},
            id="openai-style-snake-case",
        ),
        pytest.param(
            {"promptTokens": 7, "completionTokens": 3},
            {"input": 7, "output": 3, "total": 10},
            None,
            id="openai-style-camel-case-without-total",
        ),
        pytest.param(
            {"input": 4, "output": 6, "unit": "TOKENS", "input_cost": 0.1, "output_cost": 0.2},
            {"input": 4, "output": 6, "total": 10},
            {"input": Decimal("0.1"), "output": Decimal("0.2")},
            id="langfuse-style-snake-case-costs",
        ),
        pytest.param(
            {"input": 4, "output": 6, "inputCost": 0.1, "outputCost": 0.2, "totalCost": 0.3},
            {"input": 4, "output": 6, "total": 10},
            {"input": Decimal("0.1"), "output": Decimal("0.2"), "total": Decimal("0.3")},
            id="langfuse-style-camel-case-costs",
        ),
    ],
)
def test_legacy_usage_is_normalised_by_v2_and_mapped_like_the_server(
    recorder: Recorder,
    client: Any,
    usage: dict[str, Any],
    expected_usage: dict[str, int],
    expected_cost: dict[str, Decimal] | None,
) -> None:
    client.trace(name="t").generation(name="g", model="gpt-4o", usage=usage)

    record = by_name(recorder.records())["g"]

    assert dict(record.usage_details) == expected_usage
    assert (dict(record.cost_details) if record.cost_details is not None else None) == expected_cost


@needs_usage_details
def test_usage_details_and_cost_details_are_laid_over_the_legacy_usage(
    recorder: Recorder, client: Any
) -> None:
    client.trace(name="t").generation(
        name="g",
        model="claude-sonnet-4-5",
        usage={"input": 100, "output": 10, "totalCost": 0.5},
        usage_details={"input": 80, "cache_read_input_tokens": 20},
        cost_details={"total": 0.01},
    )

    record = by_name(recorder.records())["g"]

    # legacy total is not derived when usageDetails is present; the model derives it from all keys
    assert record.usage_details == {"input": 80, "output": 10, "cache_read_input_tokens": 20}
    assert record.cost_details == {"total": Decimal("0.01")}


def test_a_later_event_with_usage_replaces_the_earlier_usage(
    recorder: Recorder, client: Any
) -> None:
    generation = client.trace(name="t").generation(name="g", usage={"input": 1, "output": 1})
    generation.update(model="gpt-4o")  # no usage: keeps the earlier one
    generation.end(usage={"input": 30, "output": 7})

    assert by_name(recorder.records())["g"].usage_details == {"input": 30, "output": 7, "total": 37}


def test_a_generation_nested_in_a_span_has_the_span_as_parent(recorder: Recorder) -> None:
    from langfuse.decorators import observe

    @observe(as_type="generation")
    def call_model() -> None:
        pass

    @observe()
    def step() -> None:
        call_model()

    @observe()
    def workflow() -> None:
        step()

    workflow()
    records = by_name(recorder.records())

    assert records["step"].parent_id == records["workflow"].id
    assert records["call_model"].parent_id == records["step"].id
    assert records["step"].type == "span"


def test_an_exception_marks_the_generation_and_each_ancestor_error(recorder: Recorder) -> None:
    from langfuse.decorators import langfuse_context, observe

    @observe(as_type="generation")
    def call_model() -> None:
        langfuse_context.update_current_observation(
            model="gpt-4o", usage={"input": 5, "totalCost": 0.02}
        )
        raise RuntimeError("rate limited")

    @observe()
    def step() -> None:
        call_model()

    @observe()
    def workflow() -> None:
        step()

    with pytest.raises(RuntimeError):
        workflow()
    records = by_name(recorder.records())

    assert {name: record.level for name, record in records.items()} == {
        "workflow": "ERROR",
        "step": "ERROR",
        "call_model": "ERROR",
    }
    assert records["call_model"].status_message == "rate limited"
    assert records["call_model"].cost_details == {"total": Decimal("0.02")}


def test_an_observation_still_open_is_read_with_what_its_create_event_sent(
    recorder: Recorder,
) -> None:
    from langfuse.decorators import langfuse_context, observe

    seen: list[list[ObservationRecord]] = []

    @observe(as_type="generation")
    def call_model() -> None:
        langfuse_context.update_current_observation(model="gpt-4o")  # sent only when it ends
        seen.append(recorder.records())

    @observe()
    def workflow() -> None:
        call_model()

    workflow()
    during = by_name(seen[0])

    assert set(during) == {"workflow", "call_model"}
    assert during["call_model"].end_time is None and during["call_model"].model is None
    assert during["call_model"].parent_id == during["workflow"].id
    assert by_name(recorder.records())["call_model"].model == "gpt-4o"


def test_asyncio_gather_keeps_every_generation_under_its_trace(recorder: Recorder) -> None:
    from langfuse.decorators import observe

    @observe(as_type="generation")
    async def call_model(index: int) -> int:
        await asyncio.sleep(0)
        return index

    @observe()
    async def workflow() -> None:
        await asyncio.gather(*(call_model(index) for index in range(5)))

    asyncio.run(workflow())
    records = recorder.records()
    root = by_name(records)["workflow"]

    generations = [record for record in records if record.type == "generation"]
    assert len(generations) == 5
    assert {record.parent_id for record in generations} == {root.id}


def test_nothing_is_queued_for_the_background_threads(recorder: Recorder, client: Any) -> None:
    trace = client.trace(name="t", session_id="s")
    trace.generation(name="g", model="gpt-4o", usage={"input": 1}).end()
    trace.span(name="s").end()
    trace.event(name="e")
    trace.score(name="quality", value=1.0)
    client.flush()

    queue = (
        getattr(client.task_manager, "_ingestion_queue", None) or client.task_manager._queue
    )  # 2.55+ / 2.50
    assert queue.qsize() == 0
    assert {record.type for record in recorder.records()} == {"span", "generation", "event"}


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({**OFFLINE, "enabled": False}, id="enabled-false"),
        pytest.param({"host": "http://127.0.0.1:9"}, id="missing-keys"),
        pytest.param({**OFFLINE, "sample_rate": 0.0}, id="sample-rate-zero"),
        pytest.param({**OFFLINE, "sample_rate": 5.0}, id="invalid-sample-rate-disables-the-client"),
    ],
)
def test_settings_that_disable_a_v2_client_do_not_stop_the_capture(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch, settings: dict[str, Any]
) -> None:
    from langfuse import Langfuse

    monkeypatch.delenv("LANGFUSE_PUBLIC_KEY", raising=False)
    monkeypatch.delenv("LANGFUSE_SECRET_KEY", raising=False)
    client = Langfuse(**settings)
    client.trace(name="t").generation(name="g", model="gpt-4o")

    assert by_name(recorder.records())["g"].model == "gpt-4o"
    assert recorder.problems() == []


def test_the_sample_rate_environment_variable_does_not_drop_events(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from langfuse import Langfuse

    monkeypatch.setenv("LANGFUSE_SAMPLE_RATE", "0")
    client = Langfuse(**OFFLINE)
    for index in range(20):
        client.trace(name=f"t{index}")

    assert len(recorder.records()) == 20
    assert recorder.problems() == []


def test_problems_names_a_patch_that_replaced_the_recorder(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_agentcost.capture.sdk_v2 import task_manager_class

    monkeypatch.setattr(task_manager_class(), "add_task", lambda self, event: None)

    (problem,) = recorder.problems()
    assert "TaskManager.add_task" in problem and "Fix:" in problem
