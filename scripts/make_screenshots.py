"""Make the README screenshots of the cost report from the bundled seed workflow example.

    python scripts/make_screenshots.py [--out docs/img] [--keep]

1. Writes a throwaway project whose tests run `examples/seed_workflow` (the seed's
   `AnalysisWorkflow`, Langfuse v3+ form) under `agentcost_capture`, priced offline by genai-prices
   at a fixed price date.
2. Runs pytest on it with `--agentcost-html` and `--agentcost-report`, and keeps its terminal output.
3. Screenshots, in headless Chromium (Debian's chromium + chromium-driver, through Selenium):
   - `terminal-summary.png`: the end of the pytest output (the `agentcost` section), as a terminal;
   - `html-report.png`: the HTML report, with the costliest test expanded.

Needs the `selenium` package and /usr/bin/chromium + /usr/bin/chromedriver. Nothing is fetched
from the network: the browser is started with background networking disabled and loads only
file:// pages.
"""

from __future__ import annotations

import argparse
import html
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# The report's browser test and these screenshots start headless Chromium the same way.
sys.path.insert(0, str(REPO / "tests" / "report"))
from browser_probe import CHROMEDRIVER, CHROMIUM, start_chromium

PYPROJECT = """\
[tool.agentcost]
price_date = "2026-12-01"
"""

TESTS = '''\
"""The seed's content-analysis workflow, run under agentcost_capture."""

import asyncio
import uuid

import pytest

from examples.seed_workflow.agents import StubAgent, make_agents
from examples.seed_workflow.workflow_v5 import AnalysisWorkflow, report_usage


def test_content_analysis(agentcost_capture):
    asyncio.run(AnalysisWorkflow().run_analysis("https://example.com", uuid.uuid4()))
    assert set(agentcost_capture.costs_by_agent()) == {"security", "tech", "synthesis"}


@pytest.mark.parametrize("pages", [1, 2, 3])
def test_batch_analysis(agentcost_capture, pages):
    for page in range(pages):
        asyncio.run(AnalysisWorkflow().run_analysis(f"https://example.com/{page}", uuid.uuid4()))
    assert len(agentcost_capture.traces) == pages


def test_security_review_only(agentcost_capture):
    security = [a for a in make_agents(report_usage) if a.name == "security"]
    asyncio.run(AnalysisWorkflow(security).run_analysis("https://example.com/login", uuid.uuid4()))


def test_cheap_summary(agentcost_capture):
    agent = StubAgent("synthesis", "gpt-4o-mini", 400, 120, 0, report_usage)
    asyncio.run(AnalysisWorkflow([agent]).run_analysis("https://example.com/short", uuid.uuid4()))
'''

TERMINAL_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; background: #1e1e2e; }}
.window {{ margin: 16px; border-radius: 8px; overflow: hidden; display: inline-block;
  box-shadow: 0 4px 18px rgba(0,0,0,.45); }}
.bar {{ background: #313244; height: 26px; padding-left: 12px; }}
.dot {{ display: inline-block; width: 12px; height: 12px; border-radius: 6px; margin: 7px 4px 0 0; }}
pre {{ margin: 0; padding: 14px 18px; background: #11111b; color: #cdd6f4;
  font: 14px/1.35 "DejaVu Sans Mono", "Liberation Mono", monospace; width: 81ch; }}
.sep {{ color: #89b4fa; font-weight: bold; }} .ok {{ color: #a6e3a1; }}
</style></head><body><div class="window"><div class="bar"><span class="dot" style="background:#f38ba8">
</span><span class="dot" style="background:#f9e2af"></span><span class="dot" style="background:#a6e3a1">
</span></div><pre>{text}</pre></div></body></html>
"""


def write_project(directory: Path) -> None:
    """The throwaway project: a pyproject with a fixed price date, and the tests above."""
    (directory / "pyproject.toml").write_text(PYPROJECT)
    (directory / "test_seed_workflow.py").write_text(TESTS)


def run_pytest(directory: Path) -> str:
    """Run the project's tests with the HTML and JSON reports; return the terminal output."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    env["COLUMNS"] = "80"
    done = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--color=no",
            "--rootdir", str(directory), str(directory),
            "--agentcost-html", str(directory / "report.html"),
            "--agentcost-report", str(directory / "report.json"),
        ],
        cwd=directory, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"pytest failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def terminal_excerpt(output: str) -> str:
    """The last progress line, the agentcost section and the final line, with the temp dir hidden."""
    lines = output.splitlines()
    start = next(
        i for i, line in enumerate(lines) if line.startswith("=") and " agentcost " in line
    )
    progress = [line for line in lines[:start] if line.startswith("test_seed_workflow.py")]
    return "\n".join(["$ pytest --agentcost-html=report.html", *progress[-1:], *lines[start:]])


def browser(width: int, height: int) -> Any:
    """A headless Chromium driven by Selenium, with a fresh profile."""
    profile = tempfile.mkdtemp(prefix="agentcost-shots-")
    return start_chromium(profile, "--hide-scrollbars", f"--window-size={width},{height}")


def screenshot(page: Path, out: Path, *, width: int, expand_first_test: bool = False) -> None:
    """Screenshot `page`, the window sized to the whole content."""
    from selenium.webdriver.common.by import By

    driver = browser(width, 800)
    try:
        driver.get(page.resolve().as_uri())
        if expand_first_test:
            tests = driver.find_elements(By.CSS_SELECTOR, "details.test > summary")
            if tests:
                tests[0].click()
        height = driver.execute_script(
            "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)"
        )
        driver.set_window_size(width, min(int(height) + 40, 4000))
        out.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(out))
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "img")
    parser.add_argument(
        "--keep", action="store_true", help="keep the throwaway project and print its path"
    )
    args = parser.parse_args()
    if not (REPO / "examples" / "seed_workflow" / "workflow_v5.py").is_file():
        sys.exit(
            "examples/seed_workflow/workflow_v5.py is missing: the screenshots need the bundled example"
        )
    for tool in (CHROMIUM, CHROMEDRIVER):
        if not os.access(tool, os.X_OK):
            sys.exit(f"{tool} not found: apt-get install chromium chromium-driver")

    directory = Path(tempfile.mkdtemp(prefix="agentcost-example-"))
    try:
        write_project(directory)
        output = run_pytest(directory)
        excerpt = terminal_excerpt(output).replace(str(directory) + os.sep, "")
        terminal = directory / "terminal.html"
        terminal.write_text(TERMINAL_PAGE.format(text=html.escape(excerpt)))
        screenshot(terminal, args.out / "terminal-summary.png", width=860)
        screenshot(
            directory / "report.html",
            args.out / "html-report.png",
            width=1200,
            expand_first_test=True,
        )
        print(textwrap.indent(excerpt, "  "))
        print(f"wrote {args.out / 'terminal-summary.png'} and {args.out / 'html-report.png'}")
    finally:
        if args.keep:
            print(f"project kept in {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
