"""Langfuse SDK 2.x adapter: ingestion events -> `ObservationRecord`s, captured synchronously.

How v2 works: every `trace/span/generation/event/score` call builds an ingestion event
`{"id", "type", "body"}` and hands it to `TaskManager.add_task`, which queues it for a background
consumer thread that posts batches to `{host}/api/public/ingestion`. This adapter replaces
`TaskManager.add_task` **on the class**, so every client (including one the application built
before the test, and `langfuse_context`'s singleton) hands its events to the recorder instead. The
queue stays empty: nothing reaches the consumer threads, the sampler or the network.

The recorder then does what the Langfuse server does with those events (its ingestion service):

- Events are merged per id in arrival order. A later non-null value wins, except the start time,
  which the first event fixes. Metadata dicts are deep-merged (lodash `merge`), so a later event
  only overwrites the keys it sends; a non-dict metadata value is stored as `{"metadata": value}`.
  Tags are the sorted union of every tag sent. Usage and cost: each event yields one usage map
  and one cost map (legacy `usage` first, `usageDetails` / `costDetails` on top) and the last
  non-empty one wins.
- v2's decorator keeps one parameter dict per observation and `dict.update`s it on every
  `update_current_observation(...)`, so a second `metadata=` **replaces** the first and only the
  last dict is sent. That is what the server stores, and so what the capture shows.
- The trace becomes the root observation (id = trace id, type `span`). Its name is the first name
  sent for the trace (the decorated function's name); the trace's own name is the last one sent
  (`update_current_trace(name=...)`). Observations without `parentObservationId` are its children.
  With that, `trace.root.children` lists the generations on v2 exactly as on v3+.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pytest_agentcost.capture.records import ObservationRecord, TraceAttributes
from pytest_agentcost.capture.sdk import PatchTarget, Recorder, patch_method, unpatched_sdk_problem

__all__ = ["PATCHED", "V2Recorder", "install", "task_manager_class"]

# Event type -> observation type. `observation-create/-update` carry the type in the body.
_OBSERVATION_TYPES = {
    "span-create": "span",
    "span-update": "span",
    "generation-create": "generation",
    "generation-update": "generation",
    "event-create": "event",
}
_GENERIC_OBSERVATION_EVENTS = frozenset({"observation-create", "observation-update"})
_ROOT_TYPE = "span"  # v3+ reports the outermost observation of a trace as a span; so do we


def task_manager_class() -> type[Any]:
    """The installed SDK's `TaskManager` class: `langfuse._task_manager` (2.55+) or `langfuse.task_manager`."""
    try:
        from langfuse._task_manager.task_manager import TaskManager
    except ImportError:  # 2.50 to 2.54 kept it in a top-level module
        from langfuse.task_manager import TaskManager
    return TaskManager  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------------------
# Reading event bodies: pydantic models or dicts, camelCase and snake_case mixed.


def _plain(value: Any) -> Any:
    """A pydantic model (v1 or v2 API) as its by-alias dict, recursively; other values unchanged."""
    if hasattr(value, "model_dump") and not isinstance(value, type):
        return _plain(value.model_dump(by_alias=True))
    if hasattr(value, "dict") and callable(value.dict) and not isinstance(value, (dict, type)):
        return _plain(value.dict())
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _field(body: Mapping[str, Any], camel: str) -> Any:
    """`body[camel]`, else the snake_case spelling of the same key, else None."""
    value = body.get(camel)
    if value is None:
        snake = "".join(f"_{char.lower()}" if char.isupper() else char for char in camel)
        value = body.get(snake)
    return value


def _time(value: Any) -> dt.datetime | None:
    """A timezone-aware UTC datetime from a datetime or an ISO string; naive times are taken as UTC."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)  # 3.11 reads a trailing "Z"
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _text(value: Any) -> str:
    """A body value as text; enum members (v2 sends `ObservationLevel.ERROR`) by their value."""
    return str(value.value) if isinstance(value, enum.Enum) else str(value)


def _metadata_record(metadata: Any) -> dict[str, Any]:
    """Metadata as the server keys it: a dict as is, any other JSON value under the key `metadata`."""
    if metadata is None:
        return {}
    if isinstance(metadata, Mapping):
        return dict(metadata)
    return {"metadata": metadata}


def _deep_merge(old: Any, new: Any) -> Any:
    """lodash `merge`: dicts merge key by key and lists index by index, recursively; otherwise `new`."""
    if isinstance(old, dict) and isinstance(new, dict):
        merged = dict(old)
        for key, value in new.items():
            merged[key] = _deep_merge(merged[key], value) if key in merged else value
        return merged
    if isinstance(old, list) and isinstance(new, list):
        merged_list = list(old)
        for index, value in enumerate(new):
            if index < len(merged_list):
                merged_list[index] = _deep_merge(merged_list[index], value)
            else:
                merged_list.append(value)
        return merged_list
    return new


def _event_usage_and_costs(body: Mapping[str, Any]) -> tuple[dict[str, int], dict[str, Decimal]]:
    """The usage and costs one event provides, as the server reads them.

    The legacy `usage` object first (mapped by `legacy_usage_to_details`), then `usageDetails`
    and `costDetails` laid over it key by key.
    """
    from pytest_agentcost.capture.pricing import decimal_costs
    from pytest_agentcost.capture.usage import legacy_usage_to_details, normalise_usage

    raw_usage = _field(body, "usage")
    legacy = _camel_usage(raw_usage) if isinstance(raw_usage, Mapping) else {}
    usage_details = _field(body, "usageDetails")
    usage_details = usage_details if isinstance(usage_details, Mapping) else {}
    cost_details = _field(body, "costDetails")
    cost_details = cost_details if isinstance(cost_details, Mapping) else {}

    usage, costs = legacy_usage_to_details(legacy) if legacy else ({}, {})
    if usage_details:
        # The server derives a legacy `total` (input + output) only when no usageDetails came
        # with it, and derives the final `total` from all keys after merging: drop both here.
        if "total" not in legacy and "totalTokens" not in legacy:
            usage.pop("total", None)
        shaped = normalise_usage(usage_details)
        openai_total = "total_tokens" in usage_details and "total_tokens" not in shaped
        if "total" not in usage_details and not openai_total:
            shaped.pop("total", None)
        usage.update(shaped)
    costs.update(decimal_costs({str(key): value for key, value in cost_details.items()}))
    return usage, costs


def _camel_usage(usage: Mapping[str, Any]) -> dict[str, Any]:
    """A legacy usage object with v2's snake_case cost and OpenAI keys spelled the server's way."""
    aliases = {
        "input_cost": "inputCost",
        "output_cost": "outputCost",
        "total_cost": "totalCost",
        "prompt_tokens": "promptTokens",
        "completion_tokens": "completionTokens",
        "total_tokens": "totalTokens",
    }
    return {aliases.get(key, key): value for key, value in usage.items() if value is not None}


# --------------------------------------------------------------------------------------------------
# Merged state per id (mutable, private; records() turns it into frozen records).


@dataclass
class _Merged:
    """One trace or observation, upserted event by event the way the server does."""

    id: str
    kind: str  # "trace" or the observation type
    trace_id: str | None = None
    parent_id: str | None = None
    first_name: str | None = None
    name: str | None = None
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)
    session_id: str | None = None
    user_id: str | None = None
    model: str | None = None
    model_parameters: dict[str, Any] = field(default_factory=dict)
    usage: dict[str, int] = field(default_factory=dict)
    costs: dict[str, Decimal] = field(default_factory=dict)
    level: str | None = None
    status_message: str | None = None
    order: int = 0  # arrival order of the first event, the tie-breaker for equal start times

    def absorb(self, body: Mapping[str, Any], received: dt.datetime) -> None:
        """Upsert one event body: later non-null values win; start time, metadata and tags as the server."""
        name = _field(body, "name")
        if name is not None:
            self.first_name = self.first_name or str(name)
            self.name = str(name)
        start = _time(_field(body, "startTime")) or _time(_field(body, "timestamp"))
        if self.start_time is None:
            self.start_time = start or received
        end = _time(_field(body, "endTime"))
        if end is not None:
            self.end_time = end
        metadata = _field(body, "metadata")
        if metadata is not None:
            self.metadata = _deep_merge(self.metadata, _metadata_record(metadata))
        tags = _field(body, "tags")
        if isinstance(tags, list):
            self.tags.update(str(tag) for tag in tags)
        for attribute, key in (
            ("trace_id", "traceId"),
            ("parent_id", "parentObservationId"),
            ("session_id", "sessionId"),
            ("user_id", "userId"),
            ("model", "model"),
            ("level", "level"),
            ("status_message", "statusMessage"),
        ):
            value = _field(body, key)
            if value is not None:
                setattr(self, attribute, _text(value))
        parameters = _field(body, "modelParameters")
        if isinstance(parameters, Mapping) and parameters:
            self.model_parameters = dict(parameters)
        if self.kind != "trace":
            usage, costs = _event_usage_and_costs(body)
            if usage:
                self.usage = usage
            if costs:
                self.costs = costs


# --------------------------------------------------------------------------------------------------
# The recorder.


class V2Recorder:
    """Collects every ingestion event any v2 client emits and presents them as merged records."""

    def __init__(self, sdk_version: str) -> None:
        self.sdk_version = sdk_version
        self._lock = threading.Lock()
        self._traces: dict[str, _Merged] = {}
        self._observations: dict[str, _Merged] = {}
        self._arrivals = 0
        self._changes = 0  # bumped by every event and clear(): records() is rebuilt only then
        self._built: tuple[int, list[ObservationRecord]] = (0, [])
        self._patched: Any = None  # the function installed on TaskManager, to detect replacement
        self.rest_requests: list[str] = []  # "METHOD url" of every REST call a v2 client made

    def add_task(self, event: Mapping[str, Any]) -> None:
        """Take one ingestion event (what `TaskManager.add_task` receives) and merge it by id."""
        kind = str(event.get("type", ""))
        body = _plain(event.get("body"))
        if not isinstance(body, Mapping):
            return
        received = dt.datetime.now(dt.UTC)
        if kind == "trace-create":
            self._absorb(self._traces, body, "trace", received)
        elif kind in _OBSERVATION_TYPES:
            self._absorb(self._observations, body, _OBSERVATION_TYPES[kind], received)
        elif kind in _GENERIC_OBSERVATION_EVENTS:
            self._absorb(
                self._observations, body, str(body.get("type") or "span").lower(), received
            )
        # score-create and sdk-log events carry no observation; they are dropped (never sent either)

    def _absorb(
        self, table: dict[str, _Merged], body: Mapping[str, Any], kind: str, received: dt.datetime
    ) -> None:
        identifier = body.get("id")
        if identifier is None:
            return
        with self._lock:
            merged = table.get(str(identifier))
            if merged is None:
                self._arrivals += 1
                merged = table[str(identifier)] = _Merged(
                    id=str(identifier), kind=kind, order=self._arrivals
                )
            merged.absorb(body, received)
            self._changes += 1

    def records(self) -> list[ObservationRecord]:
        """Every trace (as its root observation) and observation captured since the last clear().

        The same record objects come back until another event arrives, so readers can cache.
        """
        with self._lock:  # built under the lock: another thread may be merging an event
            changes, built = self._built
            if changes != self._changes:
                known_traces = set(self._traces)
                ordered = [
                    (trace.order, self._root_record(trace)) for trace in self._traces.values()
                ]
                ordered += [
                    (item.order, self._observation_record(item, known_traces))
                    for item in self._observations.values()
                ]
                ordered.sort(key=lambda pair: (pair[1].start_time, pair[0]))
                built = [record for _, record in ordered]
                self._built = (self._changes, built)
            return list(built)

    def clear(self) -> None:
        with self._lock:
            self._traces.clear()
            self._observations.clear()
            self.rest_requests.clear()
            self._changes += 1

    def handle_request(self, request: Any) -> Any:
        """Answer a v2 REST call (prompts, datasets, `fetch_*`, ...) in process: 404 for reads, 207 else."""
        import httpx

        self.rest_requests.append(f"{request.method} {request.url}")
        if request.method == "GET":
            return httpx.Response(
                404, json={"message": "pytest-agentcost: offline, there is no Langfuse server"}
            )
        return httpx.Response(207, json={"successes": [], "errors": []})

    def problems(self) -> list[str]:
        """Settings that stop the capture. v2 captures despite `enabled=False`, missing keys and sampling."""
        reimported = unpatched_sdk_problem()
        if reimported is not None:
            return [reimported]
        manager = task_manager_class()
        if self._patched is not None and manager.__dict__.get("add_task") is not self._patched:
            message = (
                "langfuse TaskManager.add_task was replaced after pytest-agentcost installed its "
                "recorder (another plugin or a test patched it), so Langfuse 2.x events are not "
                "captured. Fix: remove that patch."
            )
            return [message]
        return []

    def _root_record(self, trace: _Merged) -> ObservationRecord:
        start = trace.start_time or dt.datetime.now(dt.UTC)
        return ObservationRecord(
            id=trace.id,
            trace_id=trace.id,
            parent_id=None,
            name=trace.first_name or "",
            type=_ROOT_TYPE,
            start_time=start,
            end_time=trace.end_time,
            metadata=dict(trace.metadata),
            trace=TraceAttributes(
                name=trace.name,
                session_id=trace.session_id,
                user_id=trace.user_id,
                tags=tuple(sorted(trace.tags)),
                metadata=dict(trace.metadata),
            ),
            level=trace.level or "DEFAULT",
            status_message=trace.status_message,
            sdk_version=self.sdk_version,
        )

    def _observation_record(self, item: _Merged, known_traces: set[str]) -> ObservationRecord:
        trace_id = (
            item.trace_id or item.id
        )  # the server wraps a trace-less observation in its own trace
        parent = item.parent_id or (trace_id if trace_id in known_traces else None)
        return ObservationRecord(
            id=item.id,
            trace_id=trace_id,
            parent_id=parent,
            name=item.name or "",
            type=item.kind,
            start_time=item.start_time or dt.datetime.now(dt.UTC),
            end_time=item.end_time,
            metadata=dict(item.metadata),
            model=item.model,
            model_parameters=dict(item.model_parameters),
            usage_details=dict(item.usage),
            cost_details=dict(item.costs) if item.costs else None,
            level=item.level or "DEFAULT",
            status_message=item.status_message,
            sdk_version=self.sdk_version,
        )


#: What `install()` patches, in the order it receives them (resolved by `capture.sdk`).
PATCHED = (
    PatchTarget(("langfuse",)),
    # 2.55+ keeps TaskManager in `langfuse._task_manager`, 2.50 to 2.54 in a top-level module
    PatchTarget(("langfuse._task_manager.task_manager", "langfuse.task_manager"), "TaskManager"),
    PatchTarget(("langfuse.api.core.http_client",), "HttpClient"),
    PatchTarget(("langfuse.api.core.http_client",), "AsyncHttpClient"),
)


def install(sdk_version: str, targets: Sequence[Any], recorder: Recorder | None) -> V2Recorder:
    """Patch the SDK classes `targets` (see `PATCHED`) so every client records into `recorder`.

    A new `V2Recorder` when `recorder` is None. `TaskManager.add_task` is replaced on the class
    (it is not wrapped, so patching again simply replaces it) and the REST clients are sealed.
    """
    _package, manager, http_client, async_http_client = targets
    v2 = recorder if isinstance(recorder, V2Recorder) else V2Recorder(sdk_version)

    def add_task(self: Any, event: dict[str, Any]) -> None:
        """pytest-agentcost: record the event in process instead of queueing it for upload."""
        v2.add_task(event)

    manager.add_task = add_task
    v2._patched = add_task
    _seal_rest_clients(v2, (http_client, async_http_client))
    return v2


def _seal_rest_clients(recorder: V2Recorder, http_client_classes: Sequence[Any]) -> None:
    """Route every v2 REST call (all go through the API's `HttpClient`) to the in-memory transport.

    Patched on the classes, so the API clients of `Langfuse` objects built before install are
    covered too: each call first points its `httpx` client at `recorder.handle_request`.
    """
    import httpx

    def seal(client: Any) -> None:
        if isinstance(client, httpx.Client | httpx.AsyncClient):
            client._transport = httpx.MockTransport(recorder.handle_request)
            client._mounts = {}  # proxy mounts from the environment would bypass _transport

    def offline(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            seal(getattr(self, "httpx_client", None))
            return original(self, *args, **kwargs)

        method.__doc__ = "pytest-agentcost: answered in process, never sent."
        return method

    for cls in http_client_classes:
        for name in ("request", "stream"):
            if name in cls.__dict__:
                patch_method(cls, name, offline)
