"""Helpers for the real-browser tests of the HTML report (headless Chromium through Selenium)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pytest_agentcost.report.formatting import format_money

PROBE = Path(__file__).with_name("browser_probe.py")
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


def _missing() -> str | None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            return f"{path} not found: install Debian's {package} package to run the browser test"
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (pip install selenium)"
    return None


requires_browser = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))


def render_in_browser(html: Path) -> dict[str, Any]:
    """What headless Chromium shows for the page (see browser_probe.py)."""
    done = subprocess.run(
        [sys.executable, str(PROBE), str(html)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    facts: dict[str, Any] = json.loads(done.stdout)
    return facts


def check_page_against_json(facts: dict[str, Any], report: dict[str, Any]) -> None:
    """The rendered page shows the JSON report's totals and one chart bar per agent."""
    total = Decimal(report["totals"]["cost"])
    assert facts["total_visible"]
    assert facts["total_data"] == report["totals"]["cost"]
    assert facts["total_text"] == format_money(total)
    assert facts["footer_total"] == format_money(total)
    assert [(bar["agent"], bar["cost"]) for bar in facts["bars"]] == [
        (agent["agent_type"], agent["cost"]) for agent in report["agents"]
    ]
    assert [row[0] for row in facts["rows"]] == [agent["agent_type"] for agent in report["agents"]]
    largest = max(Decimal(agent["cost"]) for agent in report["agents"])
    for bar in facts["bars"]:
        expected = float(Decimal(bar["cost"]) / largest) * 560 if largest else 0.0
        assert abs(bar["width"] - max(expected, 2.0 if Decimal(bar["cost"]) else 0.0)) < 0.5
    assert facts["chart_height"] > 0
    assert sorted(test["nodeid"] for test in facts["tests"]) == [
        test["nodeid"] for test in report["tests"]
    ]
    assert facts["resources"] == []  # nothing was fetched: the page is self-contained
