"""Open an HTML cost report in headless Chromium (Selenium) and print what the page shows, as JSON.

Run as a subprocess by test_report_browser.py (scripts/make_screenshots.py starts the browser with
`start_chromium` too): Selenium talks to chromedriver over loopback TCP,
which the suite's socket guard (rightly) forbids inside test processes. The page itself must load
nothing: `resources` lists every resource the browser fetched, and the test requires none.

    python browser_probe.py REPORT.html [--screenshot OUT.png]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

PAGE_FACTS = """
const total = document.getElementById('session-total');
const bars = [...document.querySelectorAll('#agent-chart rect.bar')].map(r => ({
  agent: r.dataset.agent, cost: r.dataset.cost, width: r.getBBox().width,
  visible: r.getBoundingClientRect().width > 0 || r.dataset.cost === '0'}));
const rows = [...document.querySelectorAll('#agent-table tbody tr')].map(
  tr => [...tr.cells].map(td => td.textContent));
const tests = [...document.querySelectorAll('details.test')].map(d => ({
  nodeid: d.dataset.nodeid, cost: d.dataset.cost, open: d.open}));
return {
  title: document.title,
  total_text: total && total.textContent,
  total_data: total && total.dataset.cost,
  total_visible: !!total && total.getBoundingClientRect().height > 0,
  chart_height: document.getElementById('agent-chart').getBoundingClientRect().height,
  bars, rows, tests,
  footer_total: document.querySelector('#agent-total td.cost').textContent,
  resources: performance.getEntriesByType('resource').map(e => e.name),
};
"""


def start_chromium(profile: str, *flags: str) -> Any:
    """A headless Chromium driven by Selenium: FLAGS, then `flags`, with `profile` as its profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, *flags, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def probe(html: Path, screenshot: Path | None) -> dict[str, Any]:
    from selenium.webdriver.common.by import By

    profile = tempfile.mkdtemp(prefix="agentcost-chromium-")
    driver = start_chromium(profile, "--window-size=1200,900")
    try:
        driver.get(html.resolve().as_uri())
        facts: dict[str, Any] = driver.execute_script(PAGE_FACTS)
        first = driver.find_elements(By.CSS_SELECTOR, "details.test")
        if first:
            tree = first[0].find_element(By.CSS_SELECTOR, "details.trace")
            facts["tree_visible_before_click"] = tree.is_displayed()
            first[0].find_element(By.TAG_NAME, "summary").click()
            facts["tree_visible_after_click"] = tree.is_displayed()
            facts["tree_text"] = tree.text
        if screenshot is not None:
            driver.save_screenshot(str(screenshot))
        return facts
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("html", type=Path)
    parser.add_argument("--screenshot", type=Path)
    args = parser.parse_args()
    print(json.dumps(probe(args.html, args.screenshot)))


if __name__ == "__main__":
    main()
