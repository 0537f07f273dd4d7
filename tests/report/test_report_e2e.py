"""End to end: a pytest run of a real Langfuse 5 workflow under `agentcost_capture`, with every report
option, serially and under pytest-xdist (`-n 2`).

Each inner test also writes what the capture API itself says it cost (`total_cost`,
`costs_by_agent()`), so the report can be checked against the capture, not against figures typed
into this file.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from browser_support import check_page_against_json, render_in_browser, requires_browser

WORKFLOW = """
from langfuse import get_client, observe, propagate_attributes


@observe(as_type="generation")
def run_agent(agent, cost, cache_hit=False):
    get_client().update_current_generation(
        name=f"{agent}_generation",
        model="gpt-4o",
        usage_details={"input": 1000, "output": 200, "cache_read_input_tokens": 50},
        cost_details={"total": float(cost)},
        metadata={"agent_type": agent, "cache_hit": cache_hit},
    )
    return agent


@observe()
def run_analysis(session, costs):
    with propagate_attributes(trace_name="content_analysis", session_id=session, tags=["multi-agent"]):
        for agent, cost in costs.items():
            run_agent(agent, cost, cache_hit=(agent == "security"))
"""

CONFTEST = '''
import json
import pathlib

import pytest


@pytest.fixture
def seen(agentcost_capture, request):
    """After the test body: write what the capture API says this test cost."""
    yield agentcost_capture
    out = pathlib.Path(__file__).parent / "seen"
    out.mkdir(exist_ok=True)
    data = {
        "nodeid": request.node.nodeid,
        "total": str(agentcost_capture.total_cost),
        "agents": {a: str(c.total) for a, c in agentcost_capture.costs_by_agent().items()},
        "calls": {a: c.calls for a, c in agentcost_capture.costs_by_agent().items()},
    }
    name = "".join(ch if ch.isalnum() else "_" for ch in request.node.nodeid)
    (out / f"{name}.json").write_text(json.dumps(data))
'''

TESTS = """
import pytest

from costs import ANALYSIS, EXTRA
from workflow import run_analysis


def test_analysis(seen):
    run_analysis("analysis-1", ANALYSIS)


def test_two_analyses(seen):
    run_analysis("analysis-2", {"security": "0.001", "synthesis": "0.002"})
    run_analysis("analysis-3", {**{"tech": "0.003"}, **EXTRA})


@pytest.mark.parametrize("n", range(6))
def test_writer(seen, n):
    run_analysis(f"writer-{n}", {"writer": f"0.00{n + 1}"})


def test_that_captures_nothing(seen):
    pass


def test_without_the_capture():
    pass
"""

COSTS = 'ANALYSIS = {{"security": "{security}", "tech": "0.01", "synthesis": "0.02"}}\nEXTRA = {extra}\n'


def _costs(security: str = "0.0125", extra: dict[str, str] | None = None) -> str:
    return COSTS.format(security=security, extra=repr(extra or {}))


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with the seed-like workflow and ten tests, eight of which spend money."""
    pytester.makepyprojecttoml('[tool.agentcost]\nprice_date = "2026-12-01"\n')
    pytester.makepyfile(workflow=WORKFLOW, conftest=CONFTEST, costs=_costs(), test_costs=TESTS)
    return pytester


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run pytest in a subprocess, with the socket guard, and without the cache plugin."""
    return project.runpytest_subprocess("-p", "socket_guard", "-p", "no:cacheprovider", *args)


def seen_by_capture(project: pytest.Pytester) -> dict[str, dict[str, Any]]:
    """What each inner test's capture API reported, by node id."""
    files = (project.path / "seen").glob("*.json")
    return {data["nodeid"]: data for data in (json.loads(f.read_text()) for f in files)}


def has_agentcost_section(result: pytest.RunResult) -> bool:
    return any(re.fullmatch(r"=+ agentcost =+", line) for line in result.outlines)


def agentcost_section(result: pytest.RunResult) -> list[str]:
    """The lines of the `agentcost` terminal section (up to the next section or the final line)."""
    lines = result.outlines
    start = next(i for i, line in enumerate(lines) if re.fullmatch(r"=+ agentcost =+", line))
    end = next(
        (i for i in range(start + 1, len(lines)) if re.match(r"^=+ .* =+$", lines[i])), len(lines)
    )
    return lines[start + 1 : end]


EXPECTED_TOTAL = (
    Decimal("0.0125") + Decimal("0.01") + Decimal("0.02") + Decimal("0.006") + Decimal("0.021")
)


# --- terminal summary ------------------------------------------------------------------------------


def test_the_full_summary_shows_agents_the_costliest_tests_and_the_session_total(
    project: pytest.Pytester,
) -> None:
    result = run(project)
    result.assert_outcomes(passed=10)
    section = agentcost_section(result)
    text = "\n".join(section)
    assert all(len(line) <= 80 for line in section)
    assert section[0].split() == [
        "agent",
        "calls",
        "input",
        "output",
        "cache",
        "read",
        "cost",
        "share",
    ]
    rows = {line.split()[0]: line.split() for line in section[2:7]}
    writer_share = f"{Decimal('0.021') * 100 / EXPECTED_TOTAL:.1f}%"
    assert rows["writer"] == ["writer", "6", "6,000", "1,200", "300", "$0.021000", writer_share]
    assert rows["synthesis"][1:2] == ["2"] and rows["synthesis"][5] == "$0.022000"
    assert "10 costliest tests:" not in text  # only 9 tests used the capture
    assert "9 costliest tests:" in text
    costliest = [line.split()[-1] for line in section if line.strip().startswith("$")][-9:]
    assert costliest[0] == "test_costs.py::test_analysis"
    assert f"session total: ${EXPECTED_TOTAL:.6f} in 12 calls across 9 tests, 4 agents" in text


def test_agents_mode_shows_the_agent_table_without_the_costliest_tests(
    project: pytest.Pytester,
) -> None:
    result = run(project, "--agentcost-summary=agents")
    text = "\n".join(agentcost_section(result))
    assert "costliest" not in text
    assert "writer" in text and "session total:" in text


def test_no_mode_prints_no_agentcost_section(project: pytest.Pytester) -> None:
    result = run(project, "--agentcost-summary=no")
    assert result.ret == 0
    assert not has_agentcost_section(result)


def test_quiet_runs_print_only_the_session_total(project: pytest.Pytester) -> None:
    result = run(project, "-q")
    section = agentcost_section(result)  # under -q the final line is not a separator
    assert section[:-1] == [
        f"session total: ${EXPECTED_TOTAL:.6f} in 12 calls across 9 tests, 4 agents"
    ]
    assert section[-1].startswith("10 passed in")


def test_a_run_that_captured_nothing_prints_no_section(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_empty="def test_it(agentcost_capture):\n    pass\n")
    result = run(pytester)
    result.assert_outcomes(passed=1)
    assert not has_agentcost_section(result)


# --- JSON and HTML reports ---------------------------------------------------------------------------


def test_the_json_report_matches_what_the_capture_api_says_each_test_cost(
    project: pytest.Pytester,
) -> None:
    result = run(project, "--agentcost-report=out/report.json")
    assert result.ret == 0
    assert "agentcost: JSON report written to out/report.json" in result.outlines
    report = json.loads((project.path / "out" / "report.json").read_text())
    seen = seen_by_capture(project)
    assert sorted(t["nodeid"] for t in report["tests"]) == sorted(seen)
    for test in report["tests"]:
        capture = seen[test["nodeid"]]
        assert Decimal(test["cost"]) == Decimal(capture["total"])
        assert {a["agent_type"]: Decimal(a["cost"]) for a in test["agents"]} == {
            agent: Decimal(cost) for agent, cost in capture["agents"].items()
        }
        assert {a["agent_type"]: a["calls"] for a in test["agents"]} == capture["calls"]
    assert Decimal(report["totals"]["cost"]) == EXPECTED_TOTAL
    assert report["environment"]["langfuse_version"] == "5.2.0"
    assert report["environment"]["price_date"] == "2026-12-01"
    analysis = next(t for t in report["tests"] if t["nodeid"].endswith("::test_analysis"))
    (trace,) = analysis["traces"]
    assert trace["name"] == "content_analysis" and trace["session_id"] == "analysis-1"
    (root,) = trace["roots"]
    assert (
        root["name"] == "run_analysis" and root["total_cost"] == trace["cost"] == analysis["cost"]
    )
    assert [c["name"] for c in root["children"]] == [
        "security_generation",
        "tech_generation",
        "synthesis_generation",
    ]
    assert {a["agent_type"]: a["cache_hits"] for a in report["agents"]}["security"] == 2


def test_the_html_report_has_the_json_totals_and_a_bar_per_agent(project: pytest.Pytester) -> None:
    result = run(project, "--agentcost-report=report.json", "--agentcost-html=report.html")
    assert result.ret == 0
    report = json.loads((project.path / "report.json").read_text())
    page = (project.path / "report.html").read_text()
    assert f'id="session-total" data-cost="{report["totals"]["cost"]}"' in page
    assert page.count('<rect class="bar"') == len(report["agents"]) == 4
    assert page.count('<details class="test"') == len(report["tests"])


@requires_browser
def test_the_html_report_of_a_real_run_renders_in_chromium(project: pytest.Pytester) -> None:
    run(project, "--agentcost-report=report.json", "--agentcost-html=report.html")
    facts = render_in_browser(project.path / "report.html")
    check_page_against_json(facts, json.loads((project.path / "report.json").read_text()))
    assert "security_generation" in facts["tree_text"]


def test_an_unwritable_report_path_fails_the_run_with_a_clear_error(
    project: pytest.Pytester,
) -> None:
    (project.path / "blocker").write_text("a file, not a directory")
    result = run(project, "--agentcost-report=blocker/report.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert any(
        line.startswith("agentcost: ERROR: cannot write the JSON report to blocker/report.json")
        for line in result.outlines
    )


# --- baseline --------------------------------------------------------------------------------------


def test_saving_a_baseline_records_each_tests_cost_and_agents(project: pytest.Pytester) -> None:
    result = run(project, "--agentcost-save-baseline=base/costs.json")
    assert result.ret == 0
    baseline = json.loads((project.path / "base" / "costs.json").read_text())
    seen = seen_by_capture(project)
    assert set(baseline["tests"]) == set(seen)
    for nodeid, entry in baseline["tests"].items():
        assert Decimal(entry["cost"]) == Decimal(seen[nodeid]["total"])
        assert {k: Decimal(v) for k, v in entry["agents"].items()} == {
            k: Decimal(v) for k, v in seen[nodeid]["agents"].items()
        }


def test_an_unchanged_run_passes_the_baseline(project: pytest.Pytester) -> None:
    run(project, "--agentcost-save-baseline=costs.json")
    result = run(project, "--agentcost-baseline=costs.json")
    assert result.ret == 0
    assert "baseline passed: 9 tests compared with costs.json (tolerance 5%)" in result.outlines


def test_a_costlier_test_fails_the_run_with_a_regression_table(project: pytest.Pytester) -> None:
    run(project, "--agentcost-save-baseline=costs.json")
    project.makepyfile(costs=_costs(security="0.0200"))  # +0.0075 on 0.0425: +17.6%
    result = run(project, "--agentcost-baseline=costs.json")
    result.assert_outcomes(passed=10)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "REGRESSION: 1 test got costlier than the baseline allows (tolerance 5%):",
            "test * baseline * now * change",
            "test_costs.py::test_analysis * $0.042500 * $0.050000 * +17.6%",
            "    cost rose +17.6%, more than the 5% tolerance",
            "    agent 'security': $0.012500 -> $0.020000",
            "baseline FAILED: 9 tests compared with costs.json (tolerance 5%)",
        ]
    )


def test_a_rise_within_the_tolerance_passes(project: pytest.Pytester) -> None:
    run(project, "--agentcost-save-baseline=costs.json")
    project.makepyfile(costs=_costs(security="0.0200"))
    assert run(project, "--agentcost-baseline=costs.json", "--agentcost-tolerance=20").ret == 0


def test_the_tolerance_can_be_set_in_pyproject(project: pytest.Pytester) -> None:
    run(project, "--agentcost-save-baseline=costs.json")
    project.makepyfile(costs=_costs(security="0.0200"))
    project.makepyprojecttoml('[tool.agentcost]\nprice_date = "2026-12-01"\ntolerance = "20"\n')
    result = run(project, "--agentcost-baseline=costs.json")
    assert result.ret == 0
    assert "baseline passed: 9 tests compared with costs.json (tolerance 20%)" in result.outlines


def test_a_new_agent_in_a_test_fails_the_run(project: pytest.Pytester) -> None:
    run(project, "--agentcost-save-baseline=costs.json")
    project.makepyfile(costs=_costs(extra={"critic": "0"}))  # free, but new
    result = run(project, "--agentcost-baseline=costs.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["test_costs.py::test_two_analyses * +0.0%", "    new agent 'critic' ($0.000000)"]
    )


def test_a_cheaper_test_is_reported_as_an_improvement_and_passes(project: pytest.Pytester) -> None:
    run(project, "--agentcost-save-baseline=costs.json")
    project.makepyfile(costs=_costs(security="0.0025"))
    result = run(project, "--agentcost-baseline=costs.json")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "improvement: 1 test got cheaper (not a failure):",
            "test_costs.py::test_analysis * $0.042500 * $0.032500 * -23.5%",
            "baseline passed: 9 tests compared with costs.json (tolerance 5%)",
        ]
    )


def test_a_missing_baseline_is_a_usage_error_naming_the_file_and_the_fix(
    project: pytest.Pytester,
) -> None:
    result = run(project, "--agentcost-baseline=nowhere.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*agentcost baseline file not found: nowhere.json*--agentcost-save-baseline=nowhere.json*"]
    )
    assert "Traceback" not in result.stderr.str()


def test_a_corrupt_baseline_is_a_usage_error_naming_the_file_and_the_fix(
    project: pytest.Pytester,
) -> None:
    (project.path / "costs.json").write_text('{"kind": "pytest-agentcost baseline", "tests": ')
    result = run(project, "--agentcost-baseline=costs.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*the agentcost baseline costs.json is corrupt: not valid JSON*"])
    assert "Traceback" not in result.stderr.str()


def test_a_bad_tolerance_is_a_usage_error(project: pytest.Pytester) -> None:
    result = run(project, "--agentcost-tolerance=five")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--agentcost-tolerance must be a non-negative percentage*'five'*"]
    )


def test_comparing_and_saving_in_one_run_updates_the_baseline(project: pytest.Pytester) -> None:
    run(project, "--agentcost-save-baseline=costs.json")
    project.makepyfile(costs=_costs(security="0.0025"))
    result = run(project, "--agentcost-baseline=costs.json", "--agentcost-save-baseline=costs.json")
    assert result.ret == 0
    saved = json.loads((project.path / "costs.json").read_text())
    assert saved["tests"]["test_costs.py::test_analysis"]["cost"] == "0.0325"


# --- xdist -----------------------------------------------------------------------------------------


def test_totals_and_tables_under_xdist_equal_a_serial_run(project: pytest.Pytester) -> None:
    serial = run(project, "--agentcost-report=serial.json", "--agentcost-html=serial.html")
    parallel = run(
        project, "-n", "2", "--agentcost-report=parallel.json", "--agentcost-html=parallel.html"
    )
    serial.assert_outcomes(passed=10)
    parallel.assert_outcomes(passed=10)
    assert re.search(r"\b2 workers\b", parallel.stdout.str())

    def without_file_lines(section: list[str]) -> list[str]:
        return [line for line in section if "written to" not in line]

    assert without_file_lines(agentcost_section(parallel)) == without_file_lines(
        agentcost_section(serial)
    )

    def report(name: str) -> dict[str, Any]:
        """The JSON report without trace ids (random per run, as in Langfuse)."""
        data: dict[str, Any] = json.loads((project.path / name).read_text())
        for test in data["tests"]:
            for trace in test["traces"]:
                assert re.fullmatch(r"[0-9a-f]{32}", trace.pop("id"))
        return data

    def page(name: str) -> str:
        return re.sub(r'data-trace-id="[0-9a-f]{32}"', "", (project.path / name).read_text())

    assert report("parallel.json") == report("serial.json")
    assert len(report("parallel.json")["tests"]) == 9
    assert page("parallel.html") == page("serial.html")


def test_the_baseline_gate_fails_under_xdist_too(project: pytest.Pytester) -> None:
    run(project, "-n", "2", "--agentcost-save-baseline=costs.json")
    saved = json.loads((project.path / "costs.json").read_text())
    assert len(saved["tests"]) == 9
    project.makepyfile(costs=_costs(security="0.0200"))
    result = run(project, "-n", "2", "--agentcost-baseline=costs.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["REGRESSION: 1 test got costlier*", "test_costs.py::test_analysis *+17.6%"]
    )


# --- unknown costs ---------------------------------------------------------------------------------

UNPRICED = """
from langfuse import get_client, observe


@observe(as_type="generation")
def ask_house_model():
    get_client().update_current_generation(
        model="house-model-v1", usage_details={"input": 10, "output": 5}, metadata={"agent_type": "planner"}
    )


@observe(as_type="generation")
def ask_priced_model():
    get_client().update_current_generation(
        model="gpt-4o", usage_details={"input": 10, "output": 5}, cost_details={"total": 0.25},
        metadata={"agent_type": "writer"},
    )


def test_mixed(agentcost_capture):
    ask_house_model()
    ask_priced_model()
"""


def test_a_generation_without_a_price_is_named_in_the_summary_and_the_report(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_unpriced=UNPRICED)
    result = run(pytester, "--agentcost-report=report.json", "--agentcost-html=report.html")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "WARNING: 1 generation had no price and count as $0 in these totals;",
            "  models: house-model-v1.",
            "  Add a [[tool.agentcost.models]] price for them in pyproject.toml.",
        ]
    )
    report = json.loads((pytester.path / "report.json").read_text())
    assert report["totals"]["cost"] == "0.25" and report["totals"]["unpriced"] == 1
    (test,) = report["tests"]
    (unpriced,) = test["unpriced"]
    assert (
        unpriced["model"] == "house-model-v1"
        and "no price for model 'house-model-v1'" in unpriced["error"]
    )
    generations = {root["model"]: root for trace in test["traces"] for root in trace["roots"]}
    assert generations["house-model-v1"]["cost"] is None
    assert 'id="unpriced"' in (pytester.path / "report.html").read_text()


def test_the_regression_table_is_printed_even_without_the_summary(project: pytest.Pytester) -> None:
    run(project, "--agentcost-save-baseline=costs.json")
    project.makepyfile(costs=_costs(security="0.0200"))
    result = run(project, "--agentcost-baseline=costs.json", "--agentcost-summary=no")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    section = agentcost_section(result)
    assert section[0].startswith("REGRESSION: 1 test got costlier")
    assert not [line for line in section if line.startswith("session total")]
