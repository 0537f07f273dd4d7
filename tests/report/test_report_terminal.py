"""The terminal summary: 80 columns, the three modes, -q."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from report_factories import make_run, make_test

from pytest_agentcost.report.baseline import Baseline, compare
from pytest_agentcost.report.data import TestCost, UnpricedObservation
from pytest_agentcost.report.terminal import WIDTH, comparison_lines, summary_lines


def _busy_run() -> list[TestCost]:
    long_id = (
        "tests/integration/"
        + "very_long_directory_name/" * 4
        + "test_workflow.py::test_x["
        + "p" * 40
        + "]"
    )
    return [
        make_test(
            long_id,
            {"a-really-long-agent-type-name-for-the-table": ["123456.123456789"]},
            tokens=10**12,
        ),
        *(
            make_test(f"tests/test_w.py::test_{i}", {"planner": ["0.01"], "writer": [f"0.0{i}"]})
            for i in range(12)
        ),
    ]


def test_every_summary_line_fits_in_80_columns() -> None:
    run = make_run(*_busy_run())
    lines = summary_lines(run, "full", quiet=False)
    assert len(lines) > 20
    too_wide = [line for line in lines if len(line) > WIDTH]
    assert not too_wide


def test_agent_table_lists_agents_costliest_first_with_calls_tokens_and_share() -> None:
    run = make_run(make_test("t.py::a", {"planner": ["0.01"], "writer": ["0.03"]}, tokens=1200))
    lines = summary_lines(run, "agents", quiet=False)
    assert lines[0].split() == [
        "agent",
        "calls",
        "input",
        "output",
        "cache",
        "read",
        "cost",
        "share",
    ]
    assert lines[2].split() == ["writer", "1", "1,200", "600", "120", "$0.030000", "75.0%"]
    assert lines[3].split() == ["planner", "1", "1,200", "600", "120", "$0.010000", "25.0%"]
    assert lines[5].split() == ["total", "2", "2,400", "1,200", "240", "$0.040000", "100.0%"]


def test_agents_mode_leaves_out_the_costliest_tests_and_full_mode_shows_them() -> None:
    run = make_run(*_busy_run())
    agents = "\n".join(summary_lines(run, "agents", quiet=False))
    full = "\n".join(summary_lines(run, "full", quiet=False))
    assert "costliest tests" not in agents
    assert "10 costliest tests:" in full
    listed = [line.split()[-1] for line in full.split("10 costliest tests:")[1].splitlines()[2:12]]
    assert listed[1:] == [f"tests/test_w.py::test_{i}" for i in (9, 8, 7, 6, 5, 4, 3, 2, 11)]
    assert "session total:" in agents and "session total:" in full


def test_quiet_summary_is_the_session_total_line_only() -> None:
    run = make_run(make_test("t.py::a", {"planner": ["0.01"], "writer": ["0.02"]}))
    assert summary_lines(run, "full", quiet=True) == [
        "session total: $0.030000 in 2 calls across 1 test, 2 agents"
    ]


def test_no_mode_prints_nothing() -> None:
    assert summary_lines(make_run(*_busy_run()), "no", quiet=False) == []


def test_long_node_ids_are_shortened_keeping_both_ends() -> None:
    run = make_run(*_busy_run())
    row = next(
        line
        for line in summary_lines(run, "full", quiet=False)
        if "..." in line and "tests/integration/" in line
    )
    assert row.endswith("ppp]") and len(row) == 80


def test_generations_without_a_price_are_named_in_a_warning() -> None:
    test = make_test("t.py::a", {"planner": ["0.01"]})
    unpriced = UnpricedObservation(trace_id="t1", name="llm", model="my-model", error="no price")
    run = make_run(
        TestCost(test.nodeid, test.total, test.tokens, test.agents, test.traces, (unpriced,))
    )
    text = "\n".join(summary_lines(run, "full", quiet=True))
    assert "1 generation had no price" in text
    assert "my-model" in text and "[[tool.agentcost.models]]" in text


def test_regression_table_names_the_test_the_change_and_the_new_agent() -> None:
    before = make_run(
        make_test("t.py::a", {"planner": ["0.01"]}), make_test("t.py::b", {"planner": ["0.02"]})
    )
    after = make_run(
        make_test("t.py::a", {"planner": ["0.02"]}),
        make_test("t.py::b", {"planner": ["0.01"], "critic": ["0.001"]}),
    )
    lines = comparison_lines(
        compare(Baseline.from_run(before), after, tolerance=Decimal(5), path=Path("base.json"))
    )
    text = "\n".join(lines)
    assert lines[0] == "REGRESSION: 2 tests got costlier than the baseline allows (tolerance 5%):"
    assert "t.py::a" in text and "+100.0%" in text
    assert "new agent 'critic'" in text
    assert "baseline FAILED: 2 tests compared with base.json (tolerance 5%)" in text
    assert all(len(line) <= WIDTH for line in lines)
