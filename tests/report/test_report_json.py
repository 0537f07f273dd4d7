"""The JSON report: versioned, exact, documented."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from report_factories import make_run, make_test

from pytest_agentcost.report.data import ReportDataError, RunCost
from pytest_agentcost.report.json_report import report_to_json, run_from_json, write_json_report

SCHEMA_DOC = Path(__file__).parents[2] / "docs" / "report-schema.md"


def _run() -> RunCost:
    return make_run(
        make_test("t.py::a", {"planner": ["0.0000025", "0.1"], "writer": ["0.3"]}),
        make_test("t.py::b", {"writer": ["0.2"]}),
    )


def test_the_report_is_versioned_and_writes_money_as_strings(tmp_path: Path) -> None:
    path = tmp_path / "out" / "report.json"
    write_json_report(path, _run())
    data = json.loads(path.read_text())
    assert data["schema_version"] == 1 and data["kind"] == "pytest-agentcost report"
    assert data["totals"]["cost"] == "0.6000025"
    assert data["agents"][0] == {
        "agent_type": "writer",
        "calls": 2,
        "cache_hits": 0,
        "tokens": {
            "input": 200,
            "output": 100,
            "cache_read": 20,
            "cache_creation": 0,
            "total": 300,
        },
        "cost": "0.5",
        "share_percent": "83.33",
    }
    money = [v for v in re.findall(r'"(?:cost|total_cost)": ([^,}\n]+)', path.read_text())]
    assert money and all(value.startswith('"') or value == "null" for value in money)


def test_the_report_reads_back_into_the_same_run() -> None:
    run = _run()
    assert run_from_json(json.loads(json.dumps(report_to_json(run)))) == run


def test_per_agent_totals_equal_the_sum_over_tests() -> None:
    data = report_to_json(_run())
    per_test = sum(Decimal(a["cost"]) for t in data["tests"] for a in t["agents"])
    assert (
        sum(Decimal(a["cost"]) for a in data["agents"])
        == per_test
        == Decimal(data["totals"]["cost"])
    )


def test_a_document_that_is_not_a_report_is_refused() -> None:
    with pytest.raises(ReportDataError, match="not a pytest-agentcost report"):
        run_from_json({"kind": "pytest-agentcost baseline", "schema_version": 1})
    data = report_to_json(_run())
    data["agents"] = data["agents"][:1]
    with pytest.raises(ReportDataError, match="does not equal the sum"):
        run_from_json(data)


def _keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_every_field_of_the_report_is_documented_in_the_schema_doc() -> None:
    data = report_to_json(_run())
    documented = set(re.findall(r"`([a-z_]+)`", SCHEMA_DOC.read_text()))
    assert _keys(data) - documented == set()
