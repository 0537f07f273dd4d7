"""The machine-readable JSON report (`--agentcost-report=PATH`), schema version 1.

The schema is documented in docs/report-schema.md. Money is always a decimal string ("0.0125"),
so that no precision is lost; token counts are integers. A consumer should check
`"schema_version"`: fields may be added within a version, never removed or changed in meaning.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

from pytest_agentcost.atomic import write_atomically
from pytest_agentcost.report.baseline import Comparison
from pytest_agentcost.report.data import (
    AgentTotals,
    Environment,
    ReportDataError,
    RunCost,
    TestCost,
    money,
)

__all__ = ["REPORT_KIND", "SCHEMA_VERSION", "report_to_json", "run_from_json", "write_json_report"]

REPORT_KIND = "pytest-agentcost report"
SCHEMA_VERSION = 1


def _share(run: RunCost, cost: Decimal) -> str | None:
    share = run.share(cost)
    return (
        None if share is None else money(share.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))
    )


def report_to_json(run: RunCost, comparison: Comparison | None = None) -> dict[str, Any]:
    """The report document of a run (and of its baseline comparison, when there was one)."""
    tokens = run.tokens
    return {
        "kind": REPORT_KIND,
        "schema_version": SCHEMA_VERSION,
        "environment": run.environment.to_json(),
        "totals": {
            "cost": money(run.total),
            "calls": run.calls,
            "tests": len(run.tests),
            "traces": run.trace_count,
            "unpriced": len(run.unpriced),
            "tokens": tokens.to_json(),
        },
        "agents": [
            {**agent.to_json(), "share_percent": _share(run, agent.cost)} for agent in run.agents
        ],
        "tests": [test.to_json() for test in run.tests],
        "baseline": None if comparison is None else comparison.to_json(),
    }


def run_from_json(data: Any) -> RunCost:
    """Rebuild the `RunCost` of a report document (raises ReportDataError on a wrong shape)."""
    if not isinstance(data, dict) or data.get("kind") != REPORT_KIND:
        raise ReportDataError(f'not a pytest-agentcost report: "kind" must be {REPORT_KIND!r}')
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ReportDataError(
            f'"schema_version" is {data.get("schema_version")!r}; this version reads {SCHEMA_VERSION}'
        )
    tests = data.get("tests")
    agents = data.get("agents")
    if not isinstance(tests, list) or not isinstance(agents, list):
        raise ReportDataError('"tests" and "agents" must be lists')
    run = RunCost.build(
        (TestCost.from_json(test, f"tests[{i}]") for i, test in enumerate(tests)),
        Environment.from_json(data.get("environment")),
    )
    listed = tuple(AgentTotals.from_json(agent, f"agents[{i}]") for i, agent in enumerate(agents))
    if listed != run.agents:
        raise ReportDataError('"agents" does not equal the sum of the tests\' agents')
    return run


def write_json_report(path: Path, run: RunCost, comparison: Comparison | None = None) -> None:
    """Write the JSON report to `path`."""
    write_atomically(path, json.dumps(report_to_json(run, comparison), indent=2) + "\n")
