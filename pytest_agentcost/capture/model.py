"""The query API tests use: `Capture` (what `agentcost_capture` yields), `Trace`, `Observation`, `AgentCost`.

Everything is rebuilt from the recorder's `ObservationRecord`s on read (and cached until the
records change), so a read always reflects what the SDK has emitted so far:

- Spans reach the recorder in end order, so the tree is built after collecting, by start time.
- Trace attributes repeat on every span of a `propagate_attributes` block: they are merged per
  trace in arrival order (later non-empty values win, tags are a union, metadata dicts merge).
  A trace without `langfuse.trace.name` is named after its root observation.
- **A read while an observation is still open** (inside an `@observe`d function) returns every
  finished observation plus every open one as it stands at that moment: `end_time` is None and
  its metadata, usage and cost are whatever the SDK has set on it so far. Each observation appears
  exactly once and every finished child is linked to its (open) parent, so no tree is half-built.
  Read again after the function returns to see the final values.

Money is `Decimal`. A generation whose cost is unknown (usage no price covers, no provided cost)
raises `UnknownCostError` from every figure that includes it (`cost`, `total_cost`,
`costs_by_agent()`), naming the model and the `pyproject.toml` snippet that prices it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pytest_agentcost.capture.pricing import Cost, Pricer, UnknownCostError, sum_costs
from pytest_agentcost.capture.records import ObservationRecord
from pytest_agentcost.capture.sdk import Recorder
from pytest_agentcost.capture.usage import ZERO_USAGE, Usage

__all__ = [
    "GENERATION_TYPES",
    "AgentCost",
    "Capture",
    "Observation",
    "Trace",
    "TracingDisabledError",
    "UnknownCostError",
    "build_traces",
]

#: Observation types that carry model, usage and cost (the rest are span-like and cost nothing).
GENERATION_TYPES = frozenset({"generation", "embedding"})
UNKNOWN_AGENT = "unknown"


class TracingDisabledError(AssertionError):
    """A setting disabled Langfuse tracing, so the capture cannot be trusted to be complete."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        lines = [
            "agentcost_capture: Langfuse tracing is disabled, so the capture would be incomplete:"
        ]
        lines += [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True, eq=False)
class Observation:
    """One captured observation, linked to its parent and children (compared by identity)."""

    id: str
    trace_id: str
    name: str
    type: str
    metadata: Mapping[str, Any]
    agent_type: str | None
    model: str | None
    usage: Usage
    level: str
    status_message: str | None
    start_time: dt.datetime
    end_time: dt.datetime | None  # None: still open when the capture was read
    record: ObservationRecord = field(repr=False)
    parent: Observation | None = field(default=None, repr=False)
    children: tuple[Observation, ...] = field(default=(), repr=False)
    _cost: Cost | None = field(default=None, repr=False)

    @property
    def is_generation(self) -> bool:
        """True for the types that carry cost: generations and embeddings."""
        return self.type in GENERATION_TYPES

    @property
    def cost(self) -> Decimal | None:
        """Its own cost (None for types that carry none); raises UnknownCostError when unknown."""
        if self._cost is None:
            return None
        return sum_costs([(self.label, self._cost)])

    @property
    def cost_source(self) -> str | None:
        """`"provided"` (the SDK sent cost_details) or `"computed"` (priced here); None for spans."""
        return self._cost.source if self._cost is not None else None

    @property
    def total_cost(self) -> Decimal:
        """Its own cost plus every descendant's."""
        return sum_costs(_costs(self.walk()))

    @property
    def label(self) -> str:
        """How error messages name it: name, type, model and id."""
        model = f", model {self.model!r}" if self.model else ""
        return f"{self.name!r} ({self.type}{model}, id {self.id})"

    def walk(self) -> Iterator[Observation]:
        """This observation and all its descendants, depth first, children in start order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def tree(self) -> str:
        """Indented text, one line per observation: name, type, agent_type and cost."""
        return "\n".join(_tree_lines(self, 0))


@dataclass(frozen=True)
class AgentCost:
    """What one `agent_type` cost: the `costs_by_agent()` value, as in the seed's query."""

    total: Decimal
    calls: int
    cache_hits: int
    input_tokens: int
    output_tokens: int
    cache_read_input_tokens: int


@dataclass(frozen=True, eq=False)
class Trace:
    """One trace: its merged attributes, its root and all its observations in start order."""

    id: str
    name: str
    session_id: str | None
    user_id: str | None
    tags: list[str]
    metadata: Mapping[str, Any]
    root: Observation
    observations: list[Observation] = field(repr=False)
    # The observations without a captured parent: the root first, more only when a parent is missing.
    top_level: tuple[Observation, ...] = field(repr=False)

    def generations(
        self, *, agent_type: str | None = None, name: str | None = None, model: str | None = None
    ) -> list[Observation]:
        """Its generations and embeddings, optionally filtered (exact matches), in start order."""
        return _filter_generations(self.observations, agent_type=agent_type, name=name, model=model)

    @property
    def total_cost(self) -> Decimal:
        """The sum over all of its observations, as Langfuse computes a trace's total cost."""
        return sum_costs(_costs(self.observations))

    @property
    def usage(self) -> Usage:
        """The summed usage of its observations."""
        return _sum_usage(self.observations)

    def tree(self) -> str:
        """Indented text, one line per observation: name, type, agent_type and cost."""
        session = f" session={self.session_id}" if self.session_id else ""
        lines = [f"trace {self.name!r}{session}"]
        for top in self.top_level:
            lines += _tree_lines(top, 1)
        return "\n".join(lines)

    def describe(self) -> str:
        """One line for listings in error messages: name, session, root."""
        return (
            f"name={self.name!r} session_id={self.session_id!r} root={self.root.name!r} "
            f"({len(self.observations)} observations, trace {self.id})"
        )


class Capture:
    """Every observation the real Langfuse SDK emitted during one test (what the fixture yields)."""

    def __init__(self, recorder: Recorder, pricer: Pricer) -> None:
        self._recorder = recorder
        self._pricer = pricer
        self._cache_key: _CacheKey | None = None
        self._cache: list[Trace] = []

    # -- reading -------------------------------------------------------------------------------
    @property
    def traces(self) -> list[Trace]:
        """Every trace, in start order (of its root)."""
        return list(self._traces())

    def trace(self, name: str | None = None, *, session_id: str | None = None) -> Trace:
        """The one trace with this name and/or session; AssertionError listing the traces otherwise."""
        traces = self._traces()
        found = [
            t
            for t in traces
            if (name is None or t.name == name)
            and (session_id is None or t.session_id == session_id)
        ]
        if len(found) == 1:
            return found[0]
        wanted = ", ".join(
            f"{key}={value!r}"
            for key, value in (("name", name), ("session_id", session_id))
            if value is not None
        )
        lines = [
            f"expected exactly one trace{' with ' + wanted if wanted else ''}, found {len(found)}."
        ]
        lines += _captured_listing(traces)
        raise AssertionError("\n".join(lines))

    @property
    def observations(self) -> list[Observation]:
        """Every observation of every trace, in start order."""
        return _in_start_order(obs for trace in self._traces() for obs in trace.observations)

    def generations(
        self, *, agent_type: str | None = None, name: str | None = None, model: str | None = None
    ) -> list[Observation]:
        """The matching generations and embeddings (exact matches), in start order."""
        return _filter_generations(self.observations, agent_type=agent_type, name=name, model=model)

    def costs_by_agent(self) -> dict[str, AgentCost]:
        """`agent_type` -> AgentCost over all generations; `"unknown"` for those without one."""
        groups: dict[str, list[Observation]] = {}
        for generation in self.generations():
            groups.setdefault(generation.agent_type or UNKNOWN_AGENT, []).append(generation)
        sum_costs(_costs(g for members in groups.values() for g in members))  # all unknowns at once
        result: dict[str, AgentCost] = {}
        for agent, members in groups.items():
            usage = _sum_usage(members)
            result[agent] = AgentCost(
                total=sum_costs(_costs(members)),
                calls=len(members),
                cache_hits=sum(1 for g in members if _cache_hit(g)),
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cache_read_input_tokens=usage.cache_read_input_tokens,
            )
        return result

    @property
    def total_cost(self) -> Decimal:
        """The cost of everything captured in the test."""
        return sum_costs(_costs(self.observations))

    @property
    def usage(self) -> Usage:
        """The summed usage of everything captured in the test."""
        return _sum_usage(self.observations)

    def assert_attributed(self) -> None:
        """Raise AssertionError naming every generation without agent_type and trace without session_id."""
        traces = self._traces()
        unattributed = [g for t in traces for g in t.generations() if not g.agent_type]
        sessionless = [t for t in traces if not t.session_id]
        if not unattributed and not sessionless:
            return
        lines = ["agentcost: cost attribution is incomplete."]
        if unattributed:
            lines.append(f"{_count(unattributed, 'generation')} without `agent_type` metadata:")
            lines += [f"  - {g.label} in trace {_trace_name(traces, g)!r}" for g in unattributed]
            lines.append(
                "  Fix: set metadata={'agent_type': ...} on each generation (for example "
                "get_client().update_current_generation(metadata=...)) or in propagate_attributes."
            )
        if sessionless:
            lines.append(f"{_count(sessionless, 'trace')} without `session_id`:")
            lines += [f"  - {t.describe()}" for t in sessionless]
            lines.append("  Fix: run the workflow inside propagate_attributes(session_id=...).")
        lines += _captured_listing(traces)
        raise AssertionError("\n".join(lines))

    def tree(self) -> str:
        """The tree of every trace (see `Trace.tree`)."""
        traces = self._traces()
        return "\n".join(t.tree() for t in traces) if traces else "(no observations captured)"

    def clear(self) -> None:
        """Forget everything captured so far in this test."""
        self._recorder.clear()
        self._cache_key = None
        self._cache = []

    # -- building ------------------------------------------------------------------------------
    def _traces(self) -> list[Trace]:
        problems = self._recorder.problems()
        if problems:
            raise TracingDisabledError(problems)
        records = self._recorder.records()
        all_finished = all(r.end_time is not None for r in records)
        # The key holds the first and last record themselves (not their ids, which can be reused).
        key = (len(records), records[0] if records else None, records[-1] if records else None)
        cached = self._cache_key
        if all_finished and cached is not None and _same_key(key, cached):
            return self._cache
        traces = build_traces(records, self._pricer)
        self._cache_key, self._cache = (key if all_finished else None), traces
        return traces


_CacheKey = tuple[int, ObservationRecord | None, ObservationRecord | None]


def _same_key(a: _CacheKey, b: _CacheKey) -> bool:
    return a[0] == b[0] and a[1] is b[1] and a[2] is b[2]


def build_traces(records: Iterable[ObservationRecord], pricer: Pricer) -> list[Trace]:
    """Group records into traces, link each tree by start time and merge the trace attributes."""
    by_trace: dict[str, list[ObservationRecord]] = {}
    for record in records:
        by_trace.setdefault(record.trace_id, []).append(record)
    traces = [_build_trace(trace_id, members, pricer) for trace_id, members in by_trace.items()]
    traces.sort(key=lambda t: t.root.start_time)
    return traces


def _build_trace(trace_id: str, records: list[ObservationRecord], pricer: Pricer) -> Trace:
    by_id: dict[str, Observation] = {}
    for record in records:
        by_id[record.id] = _observation(record, pricer)  # a later record of the same id wins
    children: dict[str, list[Observation]] = {}
    top_level: list[Observation] = []
    for obs in by_id.values():
        parent_id = obs.record.parent_id
        if parent_id is not None and parent_id in by_id and parent_id != obs.id:
            object.__setattr__(obs, "parent", by_id[parent_id])
            children.setdefault(parent_id, []).append(obs)
        else:
            top_level.append(obs)
    for parent_id, kids in children.items():
        object.__setattr__(by_id[parent_id], "children", tuple(_in_start_order(kids)))
    top = tuple(_in_start_order(top_level))
    observations = _in_start_order(by_id.values())
    root = top[0]
    name: str | None = None
    session_id: str | None = None
    user_id: str | None = None
    tags: dict[str, None] = {}
    metadata: dict[str, Any] = {}
    for record in records:  # arrival (end) order: later values win, like the server's upserts
        attrs = record.trace
        name = attrs.name or name
        session_id = attrs.session_id or session_id
        user_id = attrs.user_id or user_id
        tags.update(dict.fromkeys(attrs.tags))
        metadata.update(attrs.metadata)
    return Trace(
        id=trace_id,
        name=name or root.name,
        session_id=session_id,
        user_id=user_id,
        tags=list(tags),
        metadata=metadata,
        root=root,
        observations=observations,
        top_level=top,
    )


def _observation(record: ObservationRecord, pricer: Pricer) -> Observation:
    usage = Usage.from_raw(record.usage_details) if record.usage_details else ZERO_USAGE
    cost: Cost | None = None
    if record.type in GENERATION_TYPES:
        cost = pricer.cost(
            model=record.model,
            usage=usage.details,
            cost_details=record.cost_details,
            start_time=record.start_time,
        )
    agent_type = record.metadata.get("agent_type")
    if agent_type is None:
        agent_type = record.trace.metadata.get("agent_type")
    return Observation(
        id=record.id,
        trace_id=record.trace_id,
        name=record.name,
        type=record.type,
        metadata=record.metadata,
        agent_type=str(agent_type) if agent_type not in (None, "") else None,
        model=record.model,
        usage=usage,
        level=record.level,
        status_message=record.status_message,
        start_time=record.start_time,
        end_time=record.end_time,
        record=record,
        _cost=cost,
    )


def _depth(obs: Observation) -> int:
    depth = 0
    parent = obs.parent
    while parent is not None:
        depth, parent = depth + 1, parent.parent
    return depth


def _in_start_order(observations: Iterable[Observation]) -> list[Observation]:
    """Sorted by start time; a parent before its child when both started in the same microsecond."""
    return sorted(observations, key=lambda o: (o.start_time, _depth(o)))


def _costs(observations: Iterable[Observation]) -> Iterator[tuple[str, Cost]]:
    for obs in observations:
        if obs._cost is not None:
            yield obs.label, obs._cost


def _sum_usage(observations: Iterable[Observation]) -> Usage:
    total = ZERO_USAGE
    for obs in observations:
        if obs.usage.details:
            total = total + obs.usage
    return total


def _filter_generations(
    observations: Iterable[Observation],
    *,
    agent_type: str | None,
    name: str | None,
    model: str | None,
) -> list[Observation]:
    return [
        obs
        for obs in observations
        if obs.is_generation
        and (agent_type is None or obs.agent_type == agent_type)
        and (name is None or obs.name == name)
        and (model is None or obs.model == model)
    ]


def _cache_hit(obs: Observation) -> bool:
    value = obs.metadata.get("cache_hit")
    if value is None:
        value = obs.record.trace.metadata.get("cache_hit")
    return bool(value)


def _tree_lines(obs: Observation, indent: int) -> list[str]:
    parts = [f"{'  ' * indent}{obs.name} [{obs.type}]"]
    if obs.is_generation:
        parts.append(f"agent_type={obs.agent_type or '-'}")
        if obs.model:
            parts.append(f"model={obs.model}")
    elif obs.agent_type:
        parts.append(f"agent_type={obs.agent_type}")
    parts.append(_cost_text(obs))
    if obs.level == "ERROR":
        parts.append("ERROR")
    if obs.end_time is None:
        parts.append("(open)")
    lines = [" ".join(parts)]
    for child in obs.children:
        lines += _tree_lines(child, indent + 1)
    return lines


def _cost_text(obs: Observation) -> str:
    """`cost=` for generations, `total=` (the rollup) for the rest; never raises."""
    try:
        if obs.is_generation and not obs.children:
            return f"cost={obs.cost}"
        return f"total={obs.total_cost}"
    except UnknownCostError:
        return "cost=unknown"


def _captured_listing(traces: Sequence[Trace]) -> list[str]:
    if not traces:
        return [
            (
                "No traces were captured. Is the code under test instrumented with Langfuse "
                "(@observe / start_as_current_observation), and did it run inside the test?"
            )
        ]
    lines = [f"Captured {_count(traces, 'trace')}:"]
    lines += [f"  - {t.describe()}" for t in traces]
    lines += ["", *(t.tree() for t in traces)]
    return lines


def _trace_name(traces: Sequence[Trace], obs: Observation) -> str:
    for trace in traces:
        if trace.id == obs.trace_id:
            return trace.name
    return obs.trace_id


def _count(items: Sequence[object], noun: str) -> str:
    return f"{len(items)} {noun}{'s' if len(items) != 1 else ''}"
