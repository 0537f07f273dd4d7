"""`summarise_test` over the real capture model (traces built from SDK records by capture/model.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pytest_agentcost.capture.model import Trace, build_traces
from pytest_agentcost.capture.pricing import Pricer
from pytest_agentcost.capture.records import ObservationRecord, TraceAttributes
from pytest_agentcost.config import Config
from pytest_agentcost.report.data import summarise_test

START = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def _record(
    id: str, parent: str | None, *, seconds: int, type: str = "generation", agent: str | None = None,
    cost: str | None = None, model: str | None = "gpt-4o", cache_hit: bool = False,
) -> ObservationRecord:  # fmt: skip
    metadata: dict[str, object] = {"cache_hit": cache_hit}
    if agent:
        metadata["agent_type"] = agent
    return ObservationRecord(
        id=id,
        trace_id="t" * 32,
        parent_id=parent,
        name=f"obs-{id}",
        type=type,
        start_time=START + dt.timedelta(seconds=seconds),
        end_time=START + dt.timedelta(seconds=seconds + 1),
        metadata=metadata,
        trace=TraceAttributes(name="wf", session_id="s-1"),
        model=model if type == "generation" else None,
        usage_details={"input": 100, "output": 10, "cache_read_input_tokens": 5}
        if type == "generation"
        else {},
        cost_details={"total": Decimal(cost)} if cost is not None else None,
    )


def _traces(*records: ObservationRecord) -> list[Trace]:
    return build_traces(records, Pricer(Config(price_date=START.date())))


def test_the_summary_tree_rolls_up_costs_like_the_capture() -> None:
    traces = _traces(
        _record("root", None, seconds=0, type="span"),
        _record("a", "root", seconds=1, agent="planner", cost="0.001", cache_hit=True),
        _record("inner", "root", seconds=2, type="agent"),
        _record("b", "inner", seconds=3, agent="writer", cost="0.002"),
        _record("c", "inner", seconds=4, cost="0.0005"),
    )
    test = summarise_test("t.py::wf", traces)
    (trace,) = test.traces
    (root,) = trace.roots
    assert test.total == trace.cost == root.total_cost == traces[0].total_cost == Decimal("0.0035")
    assert [child.name for child in root.children] == ["obs-a", "obs-inner"]
    assert root.children[1].total_cost == traces[0].root.children[1].total_cost == Decimal("0.0025")
    assert root.cost is None and root.children[0].cost == Decimal("0.001")
    assert trace.name == "wf" and trace.session_id == "s-1"


def test_per_agent_totals_equal_the_captures_costs_by_agent() -> None:
    traces = _traces(
        _record("root", None, seconds=0, type="span"),
        _record("a", "root", seconds=1, agent="planner", cost="0.001", cache_hit=True),
        _record("b", "root", seconds=2, agent="planner", cost="0.004"),
        _record("c", "root", seconds=3, cost="0.0005"),
    )
    summary = summarise_test("t.py::wf", traces)
    by_agent = {
        agent.agent_type: (
            agent.cost,
            agent.calls,
            agent.cache_hits,
            agent.tokens.input,
            agent.tokens.cache_read,
        )
        for agent in summary.agents
    }
    assert by_agent == traces_capture_costs(traces)
    assert list(by_agent) == ["planner", "unknown"]


def traces_capture_costs(traces: list[Trace]) -> dict[str, tuple[Decimal, int, int, int, int]]:
    """The same figures, computed with the capture's own query API."""
    result: dict[str, tuple[Decimal, int, int, int, int]] = {}
    for trace in traces:
        for generation in trace.generations():
            agent = generation.agent_type or "unknown"
            cost, calls, hits, tokens_in, cache = result.get(agent, (Decimal(0), 0, 0, 0, 0))
            result[agent] = (
                cost + (generation.cost or Decimal(0)),
                calls + 1,
                hits + bool(generation.metadata.get("cache_hit")),
                tokens_in + generation.usage.input_tokens,
                cache + generation.usage.cache_read_input_tokens,
            )
    return result


def test_observations_whose_parent_was_not_captured_are_kept_as_extra_roots() -> None:
    traces = _traces(
        _record("root", None, seconds=0, type="span"),
        _record("a", "root", seconds=1, agent="planner", cost="0.001"),
        _record("orphan", "never-captured", seconds=2, agent="writer", cost="0.002"),
    )
    (trace,) = summarise_test("t.py::wf", traces).traces
    assert [root.name for root in trace.roots] == ["obs-root", "obs-orphan"]
    assert trace.cost == traces[0].total_cost == Decimal("0.003")


def test_a_generation_of_unknown_cost_is_listed_and_counts_as_zero() -> None:
    traces = _traces(
        _record("root", None, seconds=0, type="span"),
        _record("a", "root", seconds=1, agent="planner", cost="0.001"),
        _record("b", "root", seconds=2, agent="planner", model="house-model-x"),
    )
    test = summarise_test("t.py::wf", traces)
    assert test.total == Decimal("0.001")
    (unpriced,) = test.unpriced
    assert unpriced.name == "obs-b" and unpriced.model == "house-model-x"
    assert "house-model-x" in unpriced.error
    assert test.agents[0].calls == 2
