"""The HTML report in a real headless browser: Debian's chromium + chromium-driver, via Selenium.

Skipped, with the reason, only where chromium or chromedriver is not installed (CI installs them).
"""

from __future__ import annotations

import json
from pathlib import Path

from browser_support import check_page_against_json, render_in_browser, requires_browser
from report_factories import make_run, make_test

from pytest_agentcost.report.html import write_html_report
from pytest_agentcost.report.json_report import write_json_report


@requires_browser
def test_the_html_report_renders_the_json_totals_and_a_bar_per_agent(tmp_path: Path) -> None:
    run = make_run(
        make_test(
            "t.py::test_analysis", {"security": ["0.0125"], "tech": ["0.01"], "synthesis": ["0.02"]}
        ),
        make_test("t.py::test_cheap", {"tech": ["0.0000025"]}),
    )
    write_html_report(tmp_path / "report.html", run)
    write_json_report(tmp_path / "report.json", run)
    facts = render_in_browser(tmp_path / "report.html")
    check_page_against_json(facts, json.loads((tmp_path / "report.json").read_text()))
    assert facts["title"] == "Agent cost report: $0.042503"
    assert [test["open"] for test in facts["tests"]] == [False, False]
    assert facts["tree_visible_before_click"] is False
    assert facts["tree_visible_after_click"] is True
    assert "security-0" in facts["tree_text"] and "rolled up $0.042500" in facts["tree_text"]
