"""The run-wide cost report's data: frozen, JSON-serialisable summaries of what each test spent.

`summarise_test(nodeid, traces)` turns one test's captured traces into a `TestCost`, reading only
the capture's public API (typed here as Protocols, so this module never imports the capture model).
`RunCost.build(tests, environment)` merges the tests of a run, in a deterministic order, so that a
run split over xdist workers gives exactly the same report as a serial run.

Money is `Decimal` everywhere and a string in JSON; token counts are `int`.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

__all__ = [
    "AgentTotals",
    "Environment",
    "ObservationLike",
    "ObservationNode",
    "ReportDataError",
    "RunCost",
    "TestCost",
    "TokenCounts",
    "TraceLike",
    "TraceSummary",
    "UnpricedObservation",
    "summarise_test",
]

UNKNOWN_AGENT = "unknown"  # as in the seed's get_costs_by_agent()
GENERATION_TYPES = frozenset({"generation", "embedding"})


class ReportDataError(ValueError):
    """A serialised summary (from an xdist worker or a file) does not have the expected shape."""


# --- what the capture API must offer (duck-typed) ----------------------------------------------


class UsageLike(Protocol):
    """The part of `capture.usage.Usage` the report reads."""

    @property
    def input_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def total_tokens(self) -> int: ...
    @property
    def cache_read_input_tokens(self) -> int: ...
    @property
    def cache_creation_input_tokens(self) -> int: ...


class ObservationLike(Protocol):
    """The part of `capture.model.Observation` the report reads."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def agent_type(self) -> str | None: ...
    @property
    def model(self) -> str | None: ...
    @property
    def metadata(self) -> Mapping[str, Any]: ...
    @property
    def usage(self) -> UsageLike | None: ...
    @property
    def cost(self) -> Decimal | None: ...
    @property
    def children(self) -> Sequence[ObservationLike]: ...


class TraceLike(Protocol):
    """The part of `capture.model.Trace` the report reads."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def session_id(self) -> str | None: ...
    @property
    def root(self) -> ObservationLike | None: ...
    @property
    def observations(self) -> Sequence[ObservationLike]: ...


# --- the summaries --------------------------------------------------------------------------------


def money(value: Decimal) -> str:
    """Exact string form of an amount for JSON (no exponent, no float rounding)."""
    return format(value, "f")


def parse_money(value: Any, where: str) -> Decimal:
    """Parse a money string written by `money`; raise ReportDataError naming `where` otherwise."""
    if not isinstance(value, str):
        raise ReportDataError(f'{where}: expected a decimal string such as "0.0125", got {value!r}')
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ReportDataError(f"{where}: not a decimal number: {value!r}") from None
    if not number.is_finite():
        raise ReportDataError(f"{where}: not a finite number: {value!r}")
    return number


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ReportDataError(f"{where}: expected an integer, got {value!r}")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ReportDataError(f"{where}: expected a string, got {value!r}")
    return value


def _opt_str(value: Any, where: str) -> str | None:
    return None if value is None else _str(value, where)


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ReportDataError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ReportDataError(f"{where}: expected an object, got {type(value).__name__}")
    return value


@dataclass(frozen=True)
class TokenCounts:
    """Token counts, Langfuse-style: `input` excludes cache reads and cache writes."""

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_creation: int = 0
    total: int = 0

    @classmethod
    def of(cls, usage: UsageLike | None) -> TokenCounts:
        """The counts of one observation's usage (zero when it has none)."""
        if usage is None:
            return cls()
        return cls(
            input=int(usage.input_tokens),
            output=int(usage.output_tokens),
            cache_read=int(usage.cache_read_input_tokens),
            cache_creation=int(usage.cache_creation_input_tokens),
            total=int(usage.total_tokens),
        )

    def __add__(self, other: TokenCounts) -> TokenCounts:
        return TokenCounts(
            input=self.input + other.input,
            output=self.output + other.output,
            cache_read=self.cache_read + other.cache_read,
            cache_creation=self.cache_creation + other.cache_creation,
            total=self.total + other.total,
        )

    def to_json(self) -> dict[str, int]:
        return {
            "input": self.input,
            "output": self.output,
            "cache_read": self.cache_read,
            "cache_creation": self.cache_creation,
            "total": self.total,
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> TokenCounts:
        data = _dict(data, where)
        return cls(**{key: _int(data.get(key), f"{where}.{key}") for key in cls().to_json()})


@dataclass(frozen=True)
class AgentTotals:
    """What one `agent_type` spent: generation calls, tokens, cache hits and cost."""

    agent_type: str
    calls: int = 0
    cache_hits: int = 0
    tokens: TokenCounts = field(default_factory=TokenCounts)
    cost: Decimal = Decimal(0)

    def __add__(self, other: AgentTotals) -> AgentTotals:
        if other.agent_type != self.agent_type:
            raise ValueError(f"cannot add totals of {other.agent_type!r} to {self.agent_type!r}")
        return AgentTotals(
            agent_type=self.agent_type,
            calls=self.calls + other.calls,
            cache_hits=self.cache_hits + other.cache_hits,
            tokens=self.tokens + other.tokens,
            cost=self.cost + other.cost,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "agent_type": self.agent_type,
            "calls": self.calls,
            "cache_hits": self.cache_hits,
            "tokens": self.tokens.to_json(),
            "cost": money(self.cost),
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> AgentTotals:
        data = _dict(data, where)
        return cls(
            agent_type=_str(data.get("agent_type"), f"{where}.agent_type"),
            calls=_int(data.get("calls"), f"{where}.calls"),
            cache_hits=_int(data.get("cache_hits"), f"{where}.cache_hits"),
            tokens=TokenCounts.from_json(data.get("tokens"), f"{where}.tokens"),
            cost=parse_money(data.get("cost"), f"{where}.cost"),
        )


@dataclass(frozen=True)
class ObservationNode:
    """One observation in a trace tree, with its own cost and the cost rolled up from below.

    `cost` is None for an observation that carries no cost (a span) and for one whose cost is
    unknown (then it is listed in the test's `unpriced`); `total_cost` counts both as zero.
    """

    name: str
    type: str
    agent_type: str | None
    model: str | None
    cost: Decimal | None
    total_cost: Decimal
    tokens: TokenCounts
    children: tuple[ObservationNode, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "agent_type": self.agent_type,
            "model": self.model,
            "cost": None if self.cost is None else money(self.cost),
            "total_cost": money(self.total_cost),
            "tokens": self.tokens.to_json(),
            "children": [child.to_json() for child in self.children],
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> ObservationNode:
        data = _dict(data, where)
        cost = data.get("cost")
        return cls(
            name=_str(data.get("name"), f"{where}.name"),
            type=_str(data.get("type"), f"{where}.type"),
            agent_type=_opt_str(data.get("agent_type"), f"{where}.agent_type"),
            model=_opt_str(data.get("model"), f"{where}.model"),
            cost=None if cost is None else parse_money(cost, f"{where}.cost"),
            total_cost=parse_money(data.get("total_cost"), f"{where}.total_cost"),
            tokens=TokenCounts.from_json(data.get("tokens"), f"{where}.tokens"),
            children=tuple(
                cls.from_json(child, f"{where}.children[{i}]")
                for i, child in enumerate(_list(data.get("children"), f"{where}.children"))
            ),
        )


@dataclass(frozen=True)
class TraceSummary:
    """One trace of a test: its roots (normally one) and rolled-up totals."""

    id: str
    name: str | None
    session_id: str | None
    cost: Decimal
    tokens: TokenCounts
    roots: tuple[ObservationNode, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "session_id": self.session_id,
            "cost": money(self.cost),
            "tokens": self.tokens.to_json(),
            "roots": [root.to_json() for root in self.roots],
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> TraceSummary:
        data = _dict(data, where)
        return cls(
            id=_str(data.get("id"), f"{where}.id"),
            name=_opt_str(data.get("name"), f"{where}.name"),
            session_id=_opt_str(data.get("session_id"), f"{where}.session_id"),
            cost=parse_money(data.get("cost"), f"{where}.cost"),
            tokens=TokenCounts.from_json(data.get("tokens"), f"{where}.tokens"),
            roots=tuple(
                ObservationNode.from_json(root, f"{where}.roots[{i}]")
                for i, root in enumerate(_list(data.get("roots"), f"{where}.roots"))
            ),
        )


@dataclass(frozen=True)
class UnpricedObservation:
    """A generation whose cost could not be read (no price for its model); not in any total."""

    trace_id: str
    name: str
    model: str | None
    error: str

    def to_json(self) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id,
            "name": self.name,
            "model": self.model,
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> UnpricedObservation:
        data = _dict(data, where)
        return cls(
            trace_id=_str(data.get("trace_id"), f"{where}.trace_id"),
            name=_str(data.get("name"), f"{where}.name"),
            model=_opt_str(data.get("model"), f"{where}.model"),
            error=_str(data.get("error"), f"{where}.error"),
        )


def _sorted_agents(agents: Iterable[AgentTotals]) -> tuple[AgentTotals, ...]:
    """Costliest first, then by name: the order every output uses."""
    return tuple(sorted(agents, key=lambda a: (-a.cost, a.agent_type)))


def merge_agents(groups: Iterable[Iterable[AgentTotals]]) -> tuple[AgentTotals, ...]:
    """Sum per-agent totals from several sources into one sorted tuple."""
    merged: dict[str, AgentTotals] = {}
    for group in groups:
        for agent in group:
            previous = merged.get(agent.agent_type)
            merged[agent.agent_type] = agent if previous is None else previous + agent
    return _sorted_agents(merged.values())


@dataclass(frozen=True)
class TestCost:
    """Everything one test spent, as captured by its `agentcost_capture` fixture."""

    __test__ = False  # not a pytest test class, despite the name

    nodeid: str
    total: Decimal
    tokens: TokenCounts
    agents: tuple[AgentTotals, ...]
    traces: tuple[TraceSummary, ...]
    unpriced: tuple[UnpricedObservation, ...] = ()

    @property
    def calls(self) -> int:
        return sum(agent.calls for agent in self.agents)

    @property
    def observation_count(self) -> int:
        def count(node: ObservationNode) -> int:
            return 1 + sum(count(child) for child in node.children)

        return sum(count(root) for trace in self.traces for root in trace.roots)

    def agent_costs(self) -> dict[str, Decimal]:
        return {agent.agent_type: agent.cost for agent in self.agents}

    def to_json(self) -> dict[str, Any]:
        return {
            "nodeid": self.nodeid,
            "cost": money(self.total),
            "calls": self.calls,
            "tokens": self.tokens.to_json(),
            "agents": [agent.to_json() for agent in self.agents],
            "traces": [trace.to_json() for trace in self.traces],
            "unpriced": [item.to_json() for item in self.unpriced],
        }

    @classmethod
    def from_json(cls, data: Any, where: str = "test") -> TestCost:
        data = _dict(data, where)
        return cls(
            nodeid=_str(data.get("nodeid"), f"{where}.nodeid"),
            total=parse_money(data.get("cost"), f"{where}.cost"),
            tokens=TokenCounts.from_json(data.get("tokens"), f"{where}.tokens"),
            agents=tuple(
                AgentTotals.from_json(agent, f"{where}.agents[{i}]")
                for i, agent in enumerate(_list(data.get("agents"), f"{where}.agents"))
            ),
            traces=tuple(
                TraceSummary.from_json(trace, f"{where}.traces[{i}]")
                for i, trace in enumerate(_list(data.get("traces"), f"{where}.traces"))
            ),
            unpriced=tuple(
                UnpricedObservation.from_json(item, f"{where}.unpriced[{i}]")
                for i, item in enumerate(_list(data.get("unpriced", []), f"{where}.unpriced"))
            ),
        )


@dataclass(frozen=True)
class Environment:
    """What produced the figures: versions, and the date prices were looked up for."""

    plugin_version: str
    langfuse_version: str | None
    genai_prices_version: str | None
    python_version: str
    # the ISO date of [tool.agentcost] price_date; None: each call's own start time
    price_date: str | None

    @classmethod
    def current(cls, price_date: str | None) -> Environment:
        """The environment of this process."""
        from pytest_agentcost import __version__
        from pytest_agentcost.capture.sdk import installed_version  # reads metadata, imports no SDK

        return cls(
            plugin_version=__version__,
            langfuse_version=installed_version("langfuse"),
            genai_prices_version=installed_version("genai-prices"),
            python_version=platform.python_version(),
            price_date=price_date,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "plugin_version": self.plugin_version,
            "langfuse_version": self.langfuse_version,
            "genai_prices_version": self.genai_prices_version,
            "python_version": self.python_version,
            "price_date": self.price_date,
            "price_date_source": "config" if self.price_date else "observation start time",
        }

    @classmethod
    def from_json(cls, data: Any, where: str = "environment") -> Environment:
        data = _dict(data, where)
        return cls(
            plugin_version=_str(data.get("plugin_version"), f"{where}.plugin_version"),
            langfuse_version=_opt_str(data.get("langfuse_version"), f"{where}.langfuse_version"),
            genai_prices_version=_opt_str(
                data.get("genai_prices_version"), f"{where}.genai_prices_version"
            ),
            python_version=_str(data.get("python_version"), f"{where}.python_version"),
            price_date=_opt_str(data.get("price_date"), f"{where}.price_date"),
        )


@dataclass(frozen=True)
class RunCost:
    """The whole run: every test that used the capture, per-agent totals and the environment."""

    tests: tuple[TestCost, ...]  # sorted by nodeid
    agents: tuple[AgentTotals, ...]  # costliest first
    environment: Environment

    @classmethod
    def build(cls, tests: Iterable[TestCost], environment: Environment) -> RunCost:
        """Merge test summaries (in any order) into a run; the result does not depend on order."""
        by_id = {test.nodeid: test for test in tests}
        ordered = tuple(by_id[nodeid] for nodeid in sorted(by_id))
        return cls(
            tests=ordered,
            agents=merge_agents(test.agents for test in ordered),
            environment=environment,
        )

    @property
    def total(self) -> Decimal:
        return sum((test.total for test in self.tests), Decimal(0))

    @property
    def tokens(self) -> TokenCounts:
        return sum((test.tokens for test in self.tests), TokenCounts())

    @property
    def calls(self) -> int:
        return sum(agent.calls for agent in self.agents)

    @property
    def trace_count(self) -> int:
        return sum(len(test.traces) for test in self.tests)

    @property
    def has_observations(self) -> bool:
        """True when any test captured at least one observation."""
        return any(test.traces for test in self.tests)

    @property
    def unpriced(self) -> tuple[UnpricedObservation, ...]:
        return tuple(item for test in self.tests for item in test.unpriced)

    def costliest(self, count: int = 10) -> tuple[TestCost, ...]:
        """The `count` costliest tests, costliest first (ties by node id)."""
        return tuple(sorted(self.tests, key=lambda t: (-t.total, t.nodeid))[:count])

    def share(self, cost: Decimal) -> Decimal | None:
        """`cost` as a percentage of the run's total (None when the total is zero)."""
        total = self.total
        return None if total == 0 else cost * 100 / total


# --- building a TestCost from the capture ---------------------------------------------------------


def _first_problem(exc: Exception) -> str:
    """The most specific line of an unknown-cost error (the capture lists one line per problem)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    detail = next((line[2:] for line in lines if line.startswith("- ")), None)
    return detail or (lines[0] if lines else type(exc).__name__)


def _read_cost(
    observation: ObservationLike, trace_id: str, unpriced: list[UnpricedObservation]
) -> Decimal | None:
    """The observation's own cost; an unknown cost (the capture raises) is recorded, not lost.

    The capture raises `UnknownCostError` (an AssertionError) when no price table knows the model;
    LookupError and ValueError are caught too, so that one bad observation cannot hide the report.
    """
    try:
        return observation.cost
    except (AssertionError, LookupError, ValueError, ArithmeticError) as exc:
        unpriced.append(
            UnpricedObservation(
                trace_id=trace_id,
                name=observation.name,
                model=observation.model,
                error=_first_problem(exc),
            )
        )
        return None


class _TraceWalker:
    """Builds the tree of one trace and the per-agent totals of its cost-bearing observations."""

    def __init__(self, trace_id: str) -> None:
        self.trace_id = trace_id
        self.unpriced: list[UnpricedObservation] = []
        self.agents: dict[str, AgentTotals] = {}
        self.seen: set[int] = set()

    def node(self, observation: ObservationLike) -> ObservationNode:
        self.seen.add(id(observation))
        cost = _read_cost(observation, self.trace_id, self.unpriced)
        tokens = TokenCounts.of(observation.usage)
        children = tuple(self.node(child) for child in observation.children)
        if observation.type in GENERATION_TYPES or cost is not None:
            self._count(observation, cost, tokens)
        own = cost if cost is not None else Decimal(0)
        return ObservationNode(
            name=observation.name,
            type=observation.type,
            agent_type=observation.agent_type,
            model=observation.model,
            cost=cost,
            total_cost=own + sum((child.total_cost for child in children), Decimal(0)),
            tokens=tokens,
            children=children,
        )

    def _count(
        self, observation: ObservationLike, cost: Decimal | None, tokens: TokenCounts
    ) -> None:
        agent = observation.agent_type or UNKNOWN_AGENT
        metadata = observation.metadata or {}
        one = AgentTotals(
            agent_type=agent,
            calls=1,
            cache_hits=1 if metadata.get("cache_hit") else 0,
            tokens=tokens,
            cost=cost if cost is not None else Decimal(0),
        )
        previous = self.agents.get(agent)
        self.agents[agent] = one if previous is None else previous + one


def _roots(trace: TraceLike) -> list[ObservationLike]:
    """The trace's root, plus any observation the root's tree does not reach (none normally)."""
    observations = list(trace.observations)
    roots = [trace.root] if trace.root is not None else []
    reachable: set[int] = set()
    stack = list(roots)
    while stack:
        current = stack.pop()
        reachable.add(id(current))
        stack.extend(current.children)
    orphans = [obs for obs in observations if id(obs) not in reachable]
    below_orphans = {id(child) for obs in orphans for child in obs.children}
    return roots + [obs for obs in orphans if id(obs) not in below_orphans]


def summarise_trace(
    trace: TraceLike,
) -> tuple[TraceSummary, dict[str, AgentTotals], list[UnpricedObservation]]:
    """One trace's tree and totals, its per-agent totals, and its observations of unknown cost."""
    walker = _TraceWalker(trace.id)
    roots = tuple(walker.node(root) for root in _roots(trace))

    def tokens(node: ObservationNode) -> TokenCounts:
        return sum((tokens(child) for child in node.children), node.tokens)

    summary = TraceSummary(
        id=trace.id,
        name=trace.name,
        session_id=trace.session_id,
        cost=sum((root.total_cost for root in roots), Decimal(0)),
        tokens=sum((tokens(root) for root in roots), TokenCounts()),
        roots=roots,
    )
    return summary, walker.agents, walker.unpriced


def summarise_test(nodeid: str, traces: Iterable[TraceLike]) -> TestCost:
    """Summarise one test's captured traces (`agentcost_capture.traces`) as a `TestCost`."""
    summaries: list[TraceSummary] = []
    agent_groups: list[Iterable[AgentTotals]] = []
    unpriced: list[UnpricedObservation] = []
    for trace in traces:
        summary, agents, missing = summarise_trace(trace)
        summaries.append(summary)
        agent_groups.append(agents.values())
        unpriced.extend(missing)
    return TestCost(
        nodeid=nodeid,
        total=sum((s.cost for s in summaries), Decimal(0)),
        tokens=sum((s.tokens for s in summaries), TokenCounts()),
        agents=merge_agents(agent_groups),
        traces=tuple(summaries),
        unpriced=tuple(unpriced),
    )
