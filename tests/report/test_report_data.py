"""The report's data model: exact money, lossless JSON, order-independent merging."""

from __future__ import annotations

import importlib.metadata
import json
from decimal import Decimal

import pytest
from report_factories import ENVIRONMENT, make_run, make_test

from pytest_agentcost.report.data import Environment, ReportDataError, RunCost, TestCost


def test_run_totals_do_not_depend_on_the_order_tests_were_recorded() -> None:
    tests = [
        make_test("t.py::a", {"planner": ["0.01"], "writer": ["0.02"]}),
        make_test("t.py::b", {"writer": ["0.03", "0.005"]}),
        make_test("t.py::c", {"critic": ["0.5"]}),
    ]
    forward = RunCost.build(tests, ENVIRONMENT)
    backward = RunCost.build(reversed(tests), ENVIRONMENT)
    assert forward == backward
    assert [test.nodeid for test in forward.tests] == ["t.py::a", "t.py::b", "t.py::c"]
    assert forward.total == Decimal("0.565")
    assert [(a.agent_type, a.calls, a.cost) for a in forward.agents] == [
        ("critic", 1, Decimal("0.5")),
        ("writer", 3, Decimal("0.055")),
        ("planner", 1, Decimal("0.01")),
    ]


def test_two_thousand_small_costs_sum_exactly_after_a_json_round_trip() -> None:
    test = make_test("t.py::many", {"planner": ["0.001"] * 2000})
    restored = TestCost.from_json(json.loads(json.dumps(test.to_json())))
    assert restored == test
    assert restored.total == Decimal("2.000")
    assert test.to_json()["cost"] == "2.000"


def test_a_test_summary_survives_a_json_round_trip_unchanged() -> None:
    test = make_test("t.py::a", {"planner": ["0.0000025"], "writer": ["12.5"]})
    assert TestCost.from_json(json.loads(json.dumps(test.to_json()))) == test


def test_a_malformed_summary_is_rejected_naming_the_bad_field() -> None:
    data = make_test("t.py::a", {"planner": ["0.01"]}).to_json()
    data["agents"][0]["cost"] = 0.01  # a float, not a money string
    with pytest.raises(
        ReportDataError, match=r"test\.agents\[0\]\.cost: expected a decimal string"
    ):
        TestCost.from_json(data)


def test_costliest_lists_at_most_ten_tests_costliest_first_ties_by_node_id() -> None:
    run = make_run(*(make_test(f"t.py::t{i:02}", {"a": [str(i % 6)]}) for i in range(15)))
    costliest = run.costliest()
    assert len(costliest) == 10
    costs = [test.total for test in costliest]
    assert costs == sorted(costs, reverse=True)
    assert [t.nodeid for t in costliest[:2]] == ["t.py::t05", "t.py::t11"]


def test_share_is_unknown_when_nothing_cost_anything() -> None:
    run = make_run(make_test("t.py::free", {"planner": ["0"]}))
    assert run.share(Decimal(0)) is None
    assert make_run(make_test("t.py::a", {"x": ["1"], "y": ["3"]})).share(Decimal(1)) == Decimal(25)


def test_environment_reports_the_installed_sdk_and_price_versions() -> None:
    env = Environment.current("2026-12-01")
    assert env.langfuse_version == importlib.metadata.version("langfuse")
    assert env.genai_prices_version == importlib.metadata.version("genai-prices")
    data = env.to_json()
    assert data["price_date"] == "2026-12-01" and data["price_date_source"] == "config"
    assert Environment.current(None).to_json()["price_date_source"] == "observation start time"
    assert Environment.from_json(data) == env
