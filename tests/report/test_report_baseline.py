"""The baseline file and the regression gate."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from report_factories import make_run, make_test

from pytest_agentcost.report.baseline import Baseline, BaselineError, compare


def _saved(tmp_path: Path, **tests: dict[str, list[str]]) -> tuple[Baseline, Path]:
    path = tmp_path / "costs" / "baseline.json"
    run = make_run(*(make_test(f"t.py::{name}", calls) for name, calls in tests.items()))
    Baseline.from_run(run).save(path, run)
    return Baseline.load(path), path


def test_a_saved_baseline_loads_back_with_exact_costs_per_test_and_agent(tmp_path: Path) -> None:
    baseline, path = _saved(tmp_path, a={"planner": ["0.0000025", "0.1"], "writer": ["0.3"]})
    assert baseline.tests["t.py::a"].cost == Decimal("0.4000025")
    assert baseline.tests["t.py::a"].agents == {
        "planner": Decimal("0.1000025"),
        "writer": Decimal("0.3"),
    }
    data = json.loads(path.read_text())
    assert data["kind"] == "pytest-agentcost baseline" and data["schema_version"] == 1
    assert data["tests"]["t.py::a"]["cost"] == "0.4000025"


def test_a_missing_baseline_names_the_file_and_how_to_create_it(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(BaselineError) as info:
        Baseline.load(path)
    assert f"agentcost baseline file not found: {path}" in str(info.value)
    assert f"--agentcost-save-baseline={path}" in str(info.value)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"kind": "pytest-agentcost baseline", "schema', "not valid JSON"),
        ("[1, 2]", "the top level is not a JSON object"),
        ('{"kind": "something else", "schema_version": 1, "tests": {}}', '"kind" is'),
        (
            '{"kind": "pytest-agentcost baseline", "schema_version": 99, "tests": {}}',
            '"schema_version" is 99',
        ),
        (
            (
                '{"kind": "pytest-agentcost baseline", "schema_version": 1,'
                ' "tests": {"t.py::a": {"cost": "abc", "agents": {}}}}'
            ),
            "tests['t.py::a'].cost: not a decimal number",
        ),
    ],
)
def test_a_corrupt_baseline_is_a_clear_error_naming_the_file_and_the_fix(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(content)
    with pytest.raises(BaselineError) as info:
        Baseline.load(path)
    message = str(info.value)
    assert str(path) in message and problem in message
    assert f"--agentcost-save-baseline={path}" in message


def test_a_cost_rise_beyond_the_tolerance_fails_and_one_within_it_passes(tmp_path: Path) -> None:
    baseline, path = _saved(
        tmp_path, a={"planner": ["1.00"]}, b={"planner": ["1.00"]}, c={"planner": ["1.00"]}
    )
    run = make_run(
        make_test("t.py::a", {"planner": ["1.0501"]}),  # +5.01%
        make_test("t.py::b", {"planner": ["1.05"]}),  # exactly +5%
        make_test("t.py::c", {"planner": ["1.00"]}),
    )
    result = compare(baseline, run, tolerance=Decimal(5), path=path)
    assert result.failed
    assert [change.nodeid for change in result.regressions] == ["t.py::a"]
    assert [change.nodeid for change in result.within_tolerance] == ["t.py::b"]
    assert result.regressions[0].reasons[0] == "cost rose +5.0%, more than the 5% tolerance"
    assert not compare(baseline, run, tolerance=Decimal("5.01"), path=path).failed


def test_a_new_agent_in_a_test_fails_even_when_the_test_got_cheaper(tmp_path: Path) -> None:
    baseline, path = _saved(tmp_path, a={"planner": ["1.00"]})
    run = make_run(make_test("t.py::a", {"planner": ["0.50"], "critic": ["0.01"]}))
    result = compare(baseline, run, tolerance=Decimal(5), path=path)
    assert result.failed
    assert result.regressions[0].reasons == ("new agent 'critic' ($0.010000)",)


def test_improvements_are_reported_without_failing(tmp_path: Path) -> None:
    baseline, path = _saved(tmp_path, a={"planner": ["1.00"], "writer": ["1.00"]})
    result = compare(
        baseline,
        make_run(make_test("t.py::a", {"planner": ["0.5"]})),
        tolerance=Decimal(5),
        path=path,
    )
    assert not result.failed
    assert [(c.nodeid, c.percent_text()) for c in result.improvements] == [("t.py::a", "-75.0%")]


def test_tests_new_to_the_run_or_absent_from_it_are_counted_but_never_fail(tmp_path: Path) -> None:
    baseline, path = _saved(tmp_path, a={"planner": ["1.00"]}, gone={"planner": ["1.00"]})
    run = make_run(
        make_test("t.py::a", {"planner": ["1.00"]}), make_test("t.py::fresh", {"planner": ["9"]})
    )
    result = compare(baseline, run, tolerance=Decimal(5), path=path)
    assert not result.failed
    assert result.compared == 1
    assert result.new_tests == ("t.py::fresh",)
    assert result.missing_tests == ("t.py::gone",)


def test_any_cost_in_a_test_that_cost_nothing_in_the_baseline_is_a_regression(
    tmp_path: Path,
) -> None:
    baseline, path = _saved(tmp_path, a={"planner": ["0"]})
    result = compare(
        baseline,
        make_run(make_test("t.py::a", {"planner": ["0.0001"]})),
        tolerance=Decimal(50),
        path=path,
    )
    assert result.failed
    assert result.regressions[0].percent_text() == "new cost"
