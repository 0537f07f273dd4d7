"""Langfuse 3.9+ / 4.x / 5.x adapter: every client records OpenTelemetry spans in memory, nothing exports.

How the SDK is held offline (`install()`, which `capture.sdk.install_recorder()` calls again,
with the same recorder, whenever `langfuse` was imported afresh):

- `LangfuseResourceManager._initialize_instance` (the per-public-key singleton that owns the
  tracer provider, the span processor and the REST clients, identical in name in 3.x, 4.x and
  5.x) is wrapped. Every new resource manager gets a private `TracerProvider` that carries our
  `_RecordingProcessor`, REST clients whose transport is an `httpx.MockTransport`, and a closed
  local base URL. Sampling (`LANGFUSE_SAMPLE_RATE`) only applies to providers Langfuse builds
  itself, so it never drops a span here; a provider built under `OTEL_SDK_DISABLED=true` is
  switched back on, because Langfuse itself only warns about that setting.
- `LangfuseSpanProcessor.on_end` is replaced: spans are never queued for OTLP export, while its
  `on_start` (which applies `propagate_attributes` to child spans) keeps working.
- `Langfuse.__init__` is wrapped: a client without keys gets offline test keys (so it records
  instead of going silent), and a client that still ends up disabled is remembered so that
  `problems()` can name the setting responsible.
- Resource managers that already existed when the recorder was installed are retrofitted.

At `span.end()` only the attributes the capture reads are kept (cheap); they are decoded into
`ObservationRecord`s on the first read. Open spans are snapshotted on each read.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import json
import os
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, cast

import httpx
from opentelemetry import trace as otel_trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import StatusCode

from pytest_agentcost.capture.records import ObservationRecord, TraceAttributes
from pytest_agentcost.capture.sdk import (
    OFFLINE_BASE_URL,
    TEST_PUBLIC_KEY,
    TEST_SECRET_KEY,
    PatchTarget,
    Recorder,
    patch_method,
    unpatched_sdk_problem,
)

__all__ = ["PATCHED", "OtelRecorder", "install", "span_to_record"]

SCOPE_NAME = "langfuse-sdk"
_OBS_META = "langfuse.observation.metadata"
_TRACE_META = "langfuse.trace.metadata"
_OBS_META_PREFIX = _OBS_META + "."
_TRACE_META_PREFIX = _TRACE_META + "."
_EMPTY: Mapping[str, Any] = {}
# Attributes the capture never reads; they can be large (prompts, completions), so are not kept.
_UNUSED = frozenset(
    {
        "langfuse.observation.input",
        "langfuse.observation.output",
        "langfuse.trace.input",
        "langfuse.trace.output",
    }
)

_TRACING_ENABLED_MESSAGE = (
    "LANGFUSE_TRACING_ENABLED=false disables Langfuse tracing, so agentcost_capture would see "
    "nothing. Unset it for the test run (for example monkeypatch.delenv('LANGFUSE_TRACING_ENABLED'))."
)


class OtelRecorder:
    """Session-wide store of the spans every Langfuse client emitted (implements `Recorder`)."""

    def __init__(self, sdk_version: str) -> None:
        self.sdk_version = sdk_version
        self._json_metadata = _major(sdk_version) >= 5
        self._lock = threading.Lock()
        self._records: list[ObservationRecord | _Ended] = []  # finished, in end order
        self._decoded = 0  # self._records[:self._decoded] are all ObservationRecords
        self._open: dict[int, Span] = {}
        self._cleared_at_ns = 0
        self._disabled: list[str] = []  # disabled clients created since the last clear()
        self._disabled_clients: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
        self.rest_requests: list[str] = []  # "METHOD url" of every REST call the SDK made

    # -- fed by _RecordingProcessor ------------------------------------------------------------
    def span_started(self, span: Span) -> None:
        if _is_langfuse(span):
            with self._lock:
                self._open[span.context.span_id] = span

    def span_ended(self, span: ReadableSpan) -> None:
        """Keep what the record needs (cheap: decoding waits for the first read)."""
        if not _is_langfuse(span):
            return
        attributes = span.attributes or _EMPTY
        ended = _Ended(span, {k: v for k, v in attributes.items() if k not in _UNUSED})
        with self._lock:
            self._open.pop(span.context.span_id, None)
            if (span.start_time or 0) >= self._cleared_at_ns:
                self._records.append(ended)

    # -- Recorder ------------------------------------------------------------------------------
    def records(self) -> list[ObservationRecord]:
        """Finished observations in end order, then open ones as they stand (`end_time` None)."""
        with self._lock:
            for index in range(self._decoded, len(self._records)):
                item = self._records[index]
                if isinstance(item, _Ended):
                    self._records[index] = span_to_record(item, json_metadata=self._json_metadata)
            self._decoded = len(self._records)
            finished = cast(list[ObservationRecord], list(self._records))
            still_open = list(self._open.values())
        snapshots = [_snapshot(span, json_metadata=self._json_metadata) for span in still_open]
        return finished + [record for record in snapshots if record is not None]

    def clear(self) -> None:
        with self._lock:
            self._records = []
            self._decoded = 0
            self._open = {}
            self._disabled = []
            self._cleared_at_ns = _now_ns()
            self.rest_requests.clear()

    def problems(self) -> list[str]:
        found: list[str] = []
        reimported = unpatched_sdk_problem()
        if reimported is not None:
            found.append(reimported)
        if os.environ.get("LANGFUSE_TRACING_ENABLED", "true").strip().lower() == "false":
            found.append(_TRACING_ENABLED_MESSAGE)
        found.extend(self._disabled)
        if len(self._disabled_clients):
            gc.collect()  # only disabled clients that are still alive keep failing tests
            found.extend(self._disabled_clients.values())
        return list(dict.fromkeys(found))

    # -- fed by the patched SDK ----------------------------------------------------------------
    def client_created(self, client: Any, kwargs: Mapping[str, Any]) -> None:
        """Remember a client that the SDK disabled, with the setting responsible."""
        if not isinstance(getattr(client, "_otel_tracer", None), otel_trace.NoOpTracer):
            return
        reason = _disabled_reason(kwargs)
        self._disabled.append(reason)
        try:
            self._disabled_clients[client] = reason
        except TypeError:  # not weak-referenceable: the per-test list still reports it
            pass

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer the SDK's REST calls (scores, prompts, media, ...) without any network."""
        self.rest_requests.append(f"{request.method} {request.url}")
        if request.method == "GET":
            return httpx.Response(
                404, json={"message": "pytest-agentcost: offline, there is no Langfuse server"}
            )
        return httpx.Response(207, json={"successes": [], "errors": []})


def _disabled_reason(kwargs: Mapping[str, Any]) -> str:
    if kwargs.get("public_key") == "fake" and kwargs.get("tracing_enabled") is False:
        return (
            "Langfuse skipped tracing an @observe call: several Langfuse clients exist (or the "
            "call named a public key no client was built with) and the call passed no matching "
            "`langfuse_public_key`, so get_client() returned a disabled client. Pass "
            "langfuse_public_key=... to the decorated call, or build a single client."
        )
    if os.environ.get("LANGFUSE_TRACING_ENABLED", "true").strip().lower() == "false":
        return _TRACING_ENABLED_MESSAGE
    if kwargs.get("tracing_enabled") is False:
        return (
            "a Langfuse client was created with tracing_enabled=False, so its observations are "
            "not captured. Do not pass tracing_enabled=False under test."
        )
    if not (kwargs.get("public_key") or os.environ.get("LANGFUSE_PUBLIC_KEY")):
        setting = "LANGFUSE_PUBLIC_KEY"
    elif not (kwargs.get("secret_key") or os.environ.get("LANGFUSE_SECRET_KEY")):
        setting = "LANGFUSE_SECRET_KEY"
    else:
        setting = "its configuration"
    return (
        f"a Langfuse client was created with tracing disabled ({setting}), so its observations "
        f"are not captured. Set {setting} (any value works offline) or do not unset it."
    )


class _RecordingProcessor(SpanProcessor):
    """Hands every started and ended span to the recorder, synchronously."""

    def __init__(self, recorder: OtelRecorder) -> None:
        self._recorder = recorder

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self._recorder.span_started(span)

    def on_end(self, span: ReadableSpan) -> None:
        self._recorder.span_ended(span)

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class _NullExporter(SpanExporter):
    """Replaces the OTLP exporter of processors that existed before the recorder was installed."""

    def export(self, spans: Any) -> SpanExportResult:
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


# -- installing the hooks ----------------------------------------------------------------------


#: What `install()` patches, in the order it receives them (resolved by `capture.sdk`).
PATCHED = (
    PatchTarget(("langfuse",)),
    PatchTarget(("langfuse._client.resource_manager",), "LangfuseResourceManager"),
    PatchTarget(("langfuse._client.span_processor",), "LangfuseSpanProcessor"),
    PatchTarget(("langfuse._client.client",), "Langfuse"),
)


def install(sdk_version: str, targets: Sequence[Any], recorder: Recorder | None) -> OtelRecorder:
    """Patch the SDK objects `targets` (see `PATCHED`) so every client records into `recorder`.

    A new `OtelRecorder` when `recorder` is None. Safe to repeat on the same classes: wrappers are
    replaced, never stacked (`capture.sdk.patch_method`).
    """
    _package, manager_cls, processor_cls, client_cls = targets
    otel = recorder if isinstance(recorder, OtelRecorder) else OtelRecorder(sdk_version)
    processor_cls.on_end = _drop_instead_of_export
    patch_method(
        manager_cls, "_initialize_instance", lambda original: _wrap_initialize(original, otel)
    )
    patch_method(client_cls, "__init__", lambda original: _wrap_client_init(original, otel))
    with manager_cls._lock:
        for manager in list(manager_cls._instances.values()):
            _retrofit(manager, otel, processor_cls)
    return otel


def _drop_instead_of_export(self: Any, span: ReadableSpan) -> None:
    """`LangfuseSpanProcessor.on_end` under capture: keep its bookkeeping, never queue for export."""
    cleanup = getattr(self, "_cleanup_app_root_state", None)  # 4.10+: per-span app-root state
    if cleanup is not None:
        cleanup(span)


def _wrap_initialize(original: Callable[..., None], recorder: OtelRecorder) -> Callable[..., None]:
    @functools.wraps(original)
    def _initialize_instance(self: Any, **kwargs: Any) -> None:
        kwargs["tracer_provider"] = _private_provider(recorder)
        kwargs["httpx_client"] = httpx.Client(
            transport=httpx.MockTransport(recorder.handle_request)
        )
        kwargs["base_url"] = OFFLINE_BASE_URL
        original(self, **kwargs)
        _seal_http_clients(self, recorder)

    return _initialize_instance


def _wrap_client_init(original: Callable[..., None], recorder: OtelRecorder) -> Callable[..., None]:
    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        # Without keys the SDK disables the client; under test it records with offline keys.
        if not (kwargs.get("public_key") or os.environ.get("LANGFUSE_PUBLIC_KEY")):
            kwargs["public_key"] = TEST_PUBLIC_KEY
        if not (kwargs.get("secret_key") or os.environ.get("LANGFUSE_SECRET_KEY")):
            kwargs["secret_key"] = TEST_SECRET_KEY
        original(self, *args, **kwargs)
        recorder.client_created(self, kwargs)

    return __init__


def _private_provider(recorder: OtelRecorder) -> TracerProvider:
    provider = TracerProvider()
    # The OTel SDK turns every tracer of a provider built under OTEL_SDK_DISABLED=true into a
    # no-op; Langfuse itself only warns. Capture anyway (documented in docs/capture.md).
    if getattr(provider, "_disabled", False):
        provider._disabled = False
    provider.add_span_processor(_RecordingProcessor(recorder))
    return provider


def _retrofit(manager: Any, recorder: OtelRecorder, processor_cls: Any) -> None:
    """Bring a resource manager built before install() under capture."""
    provider = getattr(manager, "tracer_provider", None)
    active = getattr(provider, "_active_span_processor", None)
    processors = list(getattr(active, "_span_processors", ()))
    for processor in processors:
        batch = getattr(processor, "_batch_processor", None)
        if isinstance(processor, processor_cls) and batch is not None:
            batch._exporter = _NullExporter()  # spans it had already queued are dropped
    if provider is not None and not any(isinstance(p, _RecordingProcessor) for p in processors):
        provider.add_span_processor(_RecordingProcessor(recorder))
    _seal_http_clients(manager, recorder)


def _seal_http_clients(root: Any, recorder: OtelRecorder, depth: int = 4) -> None:
    """Point every httpx client reachable from the SDK object `root` at the in-memory transport."""
    seen: set[int] = set()

    def visit(obj: Any, level: int) -> None:
        if id(obj) in seen or level > depth:
            return
        seen.add(id(obj))
        if isinstance(obj, httpx.Client | httpx.AsyncClient):
            obj._transport = httpx.MockTransport(recorder.handle_request)
            obj._mounts = {}  # proxy mounts from the environment would bypass _transport
            return
        if not type(obj).__module__.startswith(("langfuse", "httpx")):
            return
        for value in list(getattr(obj, "__dict__", {}).values()):
            visit(value, level + 1)

    visit(root, 0)


# -- spans -> records --------------------------------------------------------------------------


def span_to_record(span: ReadableSpan | _Ended, *, json_metadata: bool) -> ObservationRecord:
    """Decode one Langfuse span into an `ObservationRecord` (metadata decoded per SDK version)."""
    attributes = span.attributes or _EMPTY
    decode = _decode_v5 if json_metadata else _decode_v3
    metadata: dict[str, Any] = {}
    trace_metadata: dict[str, Any] = {}
    for key, value in attributes.items():
        if key.startswith(_OBS_META_PREFIX):
            metadata[key[len(_OBS_META_PREFIX) :]] = decode(value)
        elif key.startswith(_TRACE_META_PREFIX):
            trace_metadata[key[len(_TRACE_META_PREFIX) :]] = decode(value)
    if _OBS_META in attributes:
        metadata.setdefault("metadata", decode(attributes[_OBS_META]))
    if _TRACE_META in attributes:
        trace_metadata.setdefault("metadata", decode(attributes[_TRACE_META]))
    tags = attributes.get("langfuse.trace.tags")
    trace = TraceAttributes(
        name=_str_or_none(attributes.get("langfuse.trace.name")),
        session_id=_str_or_none(
            attributes.get("langfuse.session.id") or attributes.get("session.id")
        ),
        user_id=_str_or_none(attributes.get("user.id")),
        tags=tuple(str(t) for t in tags) if isinstance(tags, list | tuple) else (),
        metadata=trace_metadata,
    )
    context = span.context
    parent = span.parent
    status = span.status
    level = attributes.get("langfuse.observation.level")
    if not level:
        level = "ERROR" if status.status_code is StatusCode.ERROR else "DEFAULT"
    status_message = attributes.get("langfuse.observation.status_message") or status.description
    scope = span.instrumentation_scope
    return ObservationRecord(
        id=format(context.span_id, "016x") if context else "",
        trace_id=format(context.trace_id, "032x") if context else "",
        parent_id=format(parent.span_id, "016x") if parent is not None else None,
        name=span.name,
        type=str(attributes.get("langfuse.observation.type") or "span"),
        start_time=_datetime(span.start_time or 0),
        end_time=_datetime(span.end_time) if span.end_time is not None else None,
        metadata=metadata,
        trace=trace,
        model=_str_or_none(attributes.get("langfuse.observation.model.name")),
        model_parameters=_json_object(attributes.get("langfuse.observation.model.parameters")),
        usage_details=_json_object(attributes.get("langfuse.observation.usage_details")),
        cost_details=_cost_details(attributes.get("langfuse.observation.cost_details")),
        level=str(level),
        status_message=_str_or_none(status_message),
        sdk_version=(scope.version or "") if scope is not None else "",
    )


def _snapshot(span: Span, *, json_metadata: bool) -> ObservationRecord | None:
    """An open span as it stands now; attributes may be changing in another thread, so retry."""
    for _ in range(3):
        try:
            frozen = _Ended(span, dict(span.attributes or _EMPTY))
        except RuntimeError:  # "dictionary changed size during iteration"
            continue
        return span_to_record(frozen, json_metadata=json_metadata)
    return None


class _Ended:
    """The parts of a span a record is decoded from (the span itself is about twice the size)."""

    __slots__ = (
        "attributes",
        "context",
        "end_time",
        "instrumentation_scope",
        "name",
        "parent",
        "start_time",
        "status",
    )

    def __init__(self, span: ReadableSpan, attributes: Mapping[str, Any]) -> None:
        self.attributes = attributes
        self.context = span.context
        self.end_time = span.end_time
        self.instrumentation_scope = span.instrumentation_scope
        self.name = span.name
        self.parent = span.parent
        self.start_time = span.start_time
        self.status = span.status


def _decode_v5(value: Any) -> Any:
    """v5 JSON-encodes every metadata value."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return list(value) if isinstance(value, tuple) else value


def _decode_v3(value: Any) -> Any:
    """v3/v4 send str, int and bool raw and JSON-encode everything else (dicts, lists, floats)."""
    if isinstance(value, str) and value[:1] in "{[-.0123456789":
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        return decoded if isinstance(decoded, dict | list | float) else value
    return list(value) if isinstance(value, tuple) else value


def _json_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, str):
        return {}
    try:
        decoded = json.loads(value)
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _cost_details(value: Any) -> dict[str, Decimal] | None:
    """Provided costs, parsed as `Decimal` so that a sent 0.001 is exactly Decimal("0.001")."""
    if not isinstance(value, str):
        return None
    try:
        decoded = json.loads(value, parse_float=Decimal, parse_int=Decimal)
    except ValueError:
        return None
    if not isinstance(decoded, dict):
        return None
    return {str(k): v for k, v in decoded.items() if isinstance(v, Decimal)}


def _is_langfuse(span: ReadableSpan) -> bool:
    scope = span.instrumentation_scope
    return scope is not None and scope.name == SCOPE_NAME


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _datetime(ns: int) -> dt.datetime:
    seconds, rest = divmod(ns, 1_000_000_000)
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).replace(microsecond=rest // 1000)


def _now_ns() -> int:
    import time

    return time.time_ns()


def _major(version: str) -> int:
    try:
        return int(version.split(".", 1)[0])
    except ValueError:
        return 0
