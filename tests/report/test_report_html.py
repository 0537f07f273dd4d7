"""The HTML report as text (the browser test in test_report_browser.py renders it for real)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from report_factories import make_run, make_test

from pytest_agentcost.report.baseline import Baseline, compare
from pytest_agentcost.report.data import ObservationNode, TestCost, TokenCounts, TraceSummary
from pytest_agentcost.report.html import MAX_NODES_PER_TEST, render_html


def test_the_page_loads_nothing_from_the_network() -> None:
    page = render_html(make_run(make_test("t.py::a", {"planner": ["0.1"]})))
    assert not re.search(r"https?:|//|<script|<link|<img|url\(|@import|src=", page, re.IGNORECASE)


def test_the_chart_has_one_bar_per_agent_sized_by_cost() -> None:
    page = render_html(
        make_run(make_test("t.py::a", {"planner": ["0.1"], "writer": ["0.3"], "idle": ["0"]}))
    )
    bars = re.findall(
        r'<rect class="bar" data-agent="([^"]+)" data-cost="([^"]+)"[^>]*width="([^"]+)"', page
    )
    assert [(agent, cost) for agent, cost, _ in bars] == [
        ("writer", "0.3"),
        ("planner", "0.1"),
        ("idle", "0"),
    ]
    widths = [float(width) for _, _, width in bars]
    assert widths[0] == 560.0 and abs(widths[1] - 560 / 3) < 0.01 and widths[2] == 0.0


def test_the_session_total_matches_the_run_total_exactly() -> None:
    run = make_run(
        make_test("t.py::a", {"planner": ["0.0000025"]}), make_test("t.py::b", {"x": ["1.5"]})
    )
    page = render_html(run)
    assert re.search(r'id="session-total" data-cost="([^"]+)"', page).group(1) == "1.5000025"  # type: ignore[union-attr]
    assert '<span id="session-tests">2</span>' in page


def test_node_ids_and_names_are_escaped() -> None:
    page = render_html(
        make_run(make_test("t.py::test[<script>alert(1)</script>]", {"<b>agent</b>": ["1"]}))
    )
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<b>agent</b>" not in page


def test_each_test_has_collapsible_trace_trees_with_rolled_up_costs() -> None:
    page = render_html(make_run(make_test("t.py::a", {"planner": ["0.1", "0.2"]})))
    assert page.count('<details class="test"') == 1
    assert '<details class="trace" open' in page
    assert 'data-total-cost="0.3"' in page  # the root span rolls up both generations


def test_huge_trees_are_cut_with_a_note_pointing_to_the_json_report() -> None:
    leaf = ObservationNode("g", "generation", "a", "m", Decimal(0), Decimal(0), TokenCounts())
    count = MAX_NODES_PER_TEST + 50
    root = ObservationNode(
        "root", "span", None, None, None, Decimal(0), TokenCounts(), (leaf,) * (count - 1)
    )
    trace = TraceSummary("t1", "wf", None, Decimal(0), TokenCounts(), (root,))
    page = render_html(make_run(TestCost("t.py::big", Decimal(0), TokenCounts(), (), (trace,))))
    assert page.count("<li>") == MAX_NODES_PER_TEST  # one list item per rendered observation
    assert "50 more observations are in the JSON report." in page


def test_a_baseline_comparison_is_shown_with_its_verdict(tmp_path: Path) -> None:
    before = make_run(make_test("t.py::a", {"planner": ["1"]}))
    after = make_run(make_test("t.py::a", {"planner": ["2"]}))
    page = render_html(
        after,
        compare(Baseline.from_run(before), after, tolerance=Decimal(5), path=tmp_path / "b.json"),
    )
    assert 'id="baseline-verdict">Baseline failed: 1 tests compared' in page
    assert '<tr class="regression">' in page
