"""The baseline regression gate: save each test's cost, and compare a run against a saved file.

A run fails the gate when a test's cost rises by more than the tolerance (a percentage), or when
an agent appears in a test that the baseline did not have there. Tests that got cheaper are
reported as improvements and never fail. Tests new to the run, and baseline tests that did not run,
are only counted (a deselected or renamed test is not a regression).

The file is JSON (`"kind": "pytest-agentcost baseline"`, `"schema_version": 1`), with money as
strings; see docs/report-schema.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pytest_agentcost.atomic import write_atomically
from pytest_agentcost.report.data import ReportDataError, RunCost, money, parse_money
from pytest_agentcost.report.formatting import format_money

__all__ = [
    "BASELINE_KIND",
    "BASELINE_SCHEMA_VERSION",
    "Baseline",
    "BaselineError",
    "BaselineTest",
    "Comparison",
    "TestChange",
    "compare",
]

BASELINE_KIND = "pytest-agentcost baseline"
BASELINE_SCHEMA_VERSION = 1


class BaselineError(Exception):
    """The baseline file is missing, unreadable or not a baseline; the message names the fix."""


@dataclass(frozen=True)
class BaselineTest:
    """One test's saved cost and per-agent costs."""

    __test__ = False

    cost: Decimal
    agents: Mapping[str, Decimal]


def _fix(path: Path) -> str:
    return (
        f"Re-create it with `pytest --agentcost-save-baseline={path}` on the code you compare "
        "against (for example the main branch)."
    )


@dataclass(frozen=True)
class Baseline:
    """Saved costs, keyed by test node id."""

    tests: Mapping[str, BaselineTest]

    @classmethod
    def from_run(cls, run: RunCost) -> Baseline:
        """The baseline of a finished run."""
        return cls(
            tests={
                test.nodeid: BaselineTest(cost=test.total, agents=dict(test.agent_costs()))
                for test in run.tests
            }
        )

    def to_json(self, run: RunCost | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": BASELINE_KIND, "schema_version": BASELINE_SCHEMA_VERSION}
        if run is not None:
            data["environment"] = run.environment.to_json()
        data["tests"] = {
            nodeid: {
                "cost": money(test.cost),
                "agents": {agent: money(cost) for agent, cost in sorted(test.agents.items())},
            }
            for nodeid, test in sorted(self.tests.items())
        }
        return data

    @classmethod
    def from_json(cls, data: Any) -> Baseline:
        """Parse a baseline document; raise ReportDataError naming the first wrong field."""
        if not isinstance(data, dict):
            raise ReportDataError("the top level is not a JSON object")
        if data.get("kind") != BASELINE_KIND:
            raise ReportDataError(f'"kind" is {data.get("kind")!r}, expected {BASELINE_KIND!r}')
        if data.get("schema_version") != BASELINE_SCHEMA_VERSION:
            raise ReportDataError(
                f'"schema_version" is {data.get("schema_version")!r}; this pytest-agentcost '
                f"reads version {BASELINE_SCHEMA_VERSION}"
            )
        tests = data.get("tests")
        if not isinstance(tests, dict):
            raise ReportDataError('"tests" is missing or not an object')
        parsed: dict[str, BaselineTest] = {}
        for nodeid, entry in tests.items():
            where = f"tests[{nodeid!r}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("agents"), dict):
                raise ReportDataError(f'{where} must be an object with "cost" and "agents"')
            parsed[nodeid] = BaselineTest(
                cost=parse_money(entry.get("cost"), f"{where}.cost"),
                agents={
                    str(agent): parse_money(cost, f"{where}.agents[{agent!r}]")
                    for agent, cost in entry["agents"].items()
                },
            )
        return cls(tests=parsed)

    @classmethod
    def load(cls, path: Path) -> Baseline:
        """Read a baseline file; every problem is a BaselineError that names the file and the fix."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise BaselineError(
                f"agentcost baseline file not found: {path}. Create it first with "
                f"`pytest --agentcost-save-baseline={path}` on the code you compare against "
                "(for example the main branch), then run with --agentcost-baseline."
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise BaselineError(
                f"cannot read the agentcost baseline {path}: {reason}. {_fix(path)}"
            ) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BaselineError(
                f"the agentcost baseline {path} is corrupt: not valid JSON ({exc}). {_fix(path)}"
            ) from None
        try:
            return cls.from_json(data)
        except ReportDataError as exc:
            raise BaselineError(
                f"the agentcost baseline {path} is not a valid baseline: {exc}. {_fix(path)}"
            ) from None

    def save(self, path: Path, run: RunCost | None = None) -> None:
        """Write the baseline atomically (a crash never leaves half a file)."""
        write_atomically(path, json.dumps(self.to_json(run), indent=2) + "\n")


@dataclass(frozen=True)
class TestChange:
    """How one test's cost moved against the baseline, and why it fails (if it does)."""

    __test__ = False

    nodeid: str
    baseline: Decimal
    current: Decimal
    reasons: tuple[str, ...] = ()

    @property
    def percent(self) -> Decimal | None:
        """The change in percent of the baseline (None when the baseline cost was zero)."""
        if self.baseline == 0:
            return None if self.current else Decimal(0)
        return (self.current - self.baseline) * 100 / self.baseline

    def percent_text(self) -> str:
        percent = self.percent
        if percent is None:
            return "new cost"
        return f"{percent.quantize(Decimal('0.1')):+}%"


@dataclass(frozen=True)
class Comparison:
    """The result of comparing a run with a baseline."""

    path: Path
    tolerance: Decimal
    compared: int
    regressions: tuple[TestChange, ...]
    improvements: tuple[TestChange, ...]
    within_tolerance: tuple[TestChange, ...]
    new_tests: tuple[str, ...]
    missing_tests: tuple[str, ...]

    @property
    def failed(self) -> bool:
        return bool(self.regressions)

    def to_json(self) -> dict[str, Any]:
        def change(item: TestChange) -> dict[str, Any]:
            return {
                "nodeid": item.nodeid,
                "baseline": money(item.baseline),
                "current": money(item.current),
                "reasons": list(item.reasons),
            }

        return {
            "path": str(self.path),
            "tolerance": money(self.tolerance),
            "failed": self.failed,
            "compared": self.compared,
            "regressions": [change(item) for item in self.regressions],
            "improvements": [change(item) for item in self.improvements],
            "new_tests": list(self.new_tests),
            "missing_tests": list(self.missing_tests),
        }


def _agent_reasons(before: Mapping[str, Decimal], after: Mapping[str, Decimal]) -> list[str]:
    """One line per agent that is new, or whose cost rose, in a test."""
    reasons = []
    for agent in sorted(after):
        if agent not in before:
            reasons.append(f"new agent {agent!r} ({format_money(after[agent])})")
        elif after[agent] > before[agent]:
            reasons.append(
                f"agent {agent!r}: {format_money(before[agent])} -> {format_money(after[agent])}"
            )
    return reasons


def compare(baseline: Baseline, run: RunCost, *, tolerance: Decimal, path: Path) -> Comparison:
    """Compare a finished run with a baseline; `tolerance` is a percentage such as 5."""
    limit_factor = 1 + tolerance / 100
    regressions: list[TestChange] = []
    improvements: list[TestChange] = []
    within: list[TestChange] = []
    new_tests: list[str] = []
    compared = 0
    for test in run.tests:
        saved = baseline.tests.get(test.nodeid)
        if saved is None:
            new_tests.append(test.nodeid)
            continue
        compared += 1
        current_agents = test.agent_costs()
        new_agents = sorted(set(current_agents) - set(saved.agents))
        too_costly = test.total > saved.cost * limit_factor
        if too_costly or new_agents:
            reasons = []
            if too_costly:
                rise = TestChange(test.nodeid, saved.cost, test.total).percent_text()
                reasons.append(
                    f"cost rose {rise}, more than the {tolerance.normalize():f}% tolerance"
                )
            reasons += _agent_reasons(saved.agents, current_agents)
            regressions.append(TestChange(test.nodeid, saved.cost, test.total, tuple(reasons)))
        elif test.total < saved.cost:
            improvements.append(TestChange(test.nodeid, saved.cost, test.total))
        elif test.total > saved.cost:
            within.append(TestChange(test.nodeid, saved.cost, test.total))
    ran = {test.nodeid for test in run.tests}
    return Comparison(
        path=path,
        tolerance=tolerance,
        compared=compared,
        regressions=tuple(regressions),
        improvements=tuple(improvements),
        within_tolerance=tuple(within),
        new_tests=tuple(new_tests),
        missing_tests=tuple(sorted(set(baseline.tests) - ran)),
    )
