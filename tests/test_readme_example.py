"""The README's capture example is real: its application code and its test run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"

AGENTS = '''
from dataclasses import dataclass


@dataclass
class Result:
    text: str
    model: str
    usage: dict
    cost: float
    cache_hit: bool


@dataclass
class StubAgent:
    """Stands in for an LLM client: a fixed answer with realistic usage and a provided cost."""

    name: str
    model: str
    usage: dict
    cost: float
    cache_hit: bool = False

    async def analyze(self, content):
        return Result(f"{self.name}: ok", self.model, self.usage, self.cost, self.cache_hit)


security = StubAgent("security", "gpt-4o", {"input": 100, "output": 20, "cache_read_input_tokens": 40}, 0.0125, True)
tech = StubAgent("tech", "gpt-4o-mini", {"input": 100, "output": 20}, 0.002)
synthesis = StubAgent("synthesis", "gpt-4o", {"input": 400, "output": 120}, 0.03)
'''


def readme_block(first_line: str) -> str:
    """The README's fenced python block that starts with `first_line`."""
    for block in re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL):
        if block.startswith(first_line):
            return str(block)
    raise AssertionError(f"README has no python block starting with {first_line!r}")


@pytest.fixture
def readme_project(pytester: pytest.Pytester) -> pytest.Pytester:
    app = pytester.mkpydir("app")
    (app / "analysis.py").write_text(readme_block("# app/analysis.py"), encoding="utf-8")
    (app / "agents.py").write_text(AGENTS, encoding="utf-8")
    pytester.makepyfile(test_analysis_costs=readme_block("# tests/test_analysis_costs.py"))
    return pytester


def test_the_readme_capture_example_passes_as_written(readme_project: pytest.Pytester) -> None:
    result = readme_project.runpytest_subprocess("-p", "socket_guard", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_readme_budget_failure_looks_as_documented(readme_project: pytest.Pytester) -> None:
    test_file = readme_project.path / "test_analysis_costs.py"
    test_file.write_text(
        test_file.read_text(encoding="utf-8").replace('max_cost="0.05"', 'max_cost="0.0435"'),
        encoding="utf-8",
    )
    result = readme_project.runpytest_subprocess("-p", "socket_guard", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*agentcost: cost 0.0445 USD exceeds max_cost 0.0435 USD*",
            "*synthesis: 0.03 USD, 1 call, 400 / 120 / 0*",
            "*security: 0.0125 USD, 1 call, 100 / 20 / 40*",
            "*tech: 0.002 USD, 1 call, 100 / 20 / 0*",
        ]
    )
