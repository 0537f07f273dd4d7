"""Plain-text rendering of the run's cost for the terminal: every line fits in 80 columns.

The pytest glue writes these lines in its `agentcost` terminal-summary section; this module only
formats. Amounts are shown rounded to 6 decimal places (the JSON report keeps them exact).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pytest_agentcost.report.baseline import Comparison
from pytest_agentcost.report.data import RunCost
from pytest_agentcost.report.formatting import fit, format_count, format_money, format_share

__all__ = ["WIDTH", "comparison_lines", "summary_lines"]

WIDTH = 80
SummaryMode = Literal["no", "agents", "full"]

_AGENT_HEADER = (
    f"{'agent':<18} {'calls':>6} {'input':>10} {'output':>10} {'cache read':>10} "
    f"{'cost':>12} {'share':>7}"
)


def agent_table(run: RunCost) -> list[str]:
    """The per-agent table: calls, input/output/cache-read tokens, cost and share of the total."""
    lines = [_AGENT_HEADER, "-" * len(_AGENT_HEADER)]
    for agent in run.agents:
        lines.append(
            f"{fit(agent.agent_type, 18):<18} {format_count(agent.calls, 6):>6} "
            f"{format_count(agent.tokens.input):>10} {format_count(agent.tokens.output):>10} "
            f"{format_count(agent.tokens.cache_read):>10} {format_money(agent.cost, 12):>12} "
            f"{format_share(run.share(agent.cost)):>7}"
        )
    tokens = run.tokens
    lines.append("-" * len(_AGENT_HEADER))
    lines.append(
        f"{'total':<18} {format_count(run.calls, 6):>6} {format_count(tokens.input):>10} "
        f"{format_count(tokens.output):>10} {format_count(tokens.cache_read):>10} "
        f"{format_money(run.total, 12):>12} {format_share(run.share(run.total)):>7}"
    )
    return lines


def costliest_table(run: RunCost, count: int = 10) -> list[str]:
    """The `count` costliest tests, costliest first."""
    tests = run.costliest(count)
    width = WIDTH - 12 - 6 - 2
    lines = [f"{len(tests)} costliest test{'s' if len(tests) != 1 else ''}:"]
    lines.append(f"{'cost':>12} {'calls':>6} test")
    for test in tests:
        lines.append(
            f"{format_money(test.total, 12):>12} {format_count(test.calls, 6):>6} {fit(test.nodeid, width)}"
        )
    return lines


def total_line(run: RunCost) -> str:
    """One line with the session total."""
    tests = len(run.tests)
    return (
        f"session total: {format_money(run.total)} in {run.calls} call{'s' if run.calls != 1 else ''}"
        f" across {tests} test{'s' if tests != 1 else ''}, {len(run.agents)} "
        f"agent{'s' if len(run.agents) != 1 else ''}"
    )


def unpriced_lines(run: RunCost) -> list[str]:
    """A warning for generations whose cost is unknown (they are in no total)."""
    unpriced = run.unpriced
    if not unpriced:
        return []
    models = sorted({item.model or "(no model)" for item in unpriced})
    return [
        (
            f"WARNING: {len(unpriced)} generation{'s' if len(unpriced) != 1 else ''} had no price "
            "and count as $0 in these totals;"
        ),
        fit(f"  models: {', '.join(models)}.", WIDTH),
        "  Add a [[tool.agentcost.models]] price for them in pyproject.toml.",
    ]


def summary_lines(run: RunCost, mode: SummaryMode, *, quiet: bool) -> list[str]:
    """The summary section's lines: `agents` = table + total, `full` adds the costliest tests.

    Under `-q` (quiet) only the session total is shown.
    """
    if mode == "no":
        return []
    if quiet:
        return [total_line(run), *unpriced_lines(run)]
    lines = agent_table(run)
    if mode == "full":
        lines += ["", *costliest_table(run)]
    lines += ["", total_line(run), *unpriced_lines(run)]
    return lines


def comparison_lines(comparison: Comparison) -> list[str]:
    """The baseline comparison: a regression table (when any), improvements, and a verdict."""
    tolerance = f"{comparison.tolerance.normalize():f}%"
    lines: list[str] = []
    width = WIDTH - 12 - 12 - 9 - 3
    header = f"{'test':<{width}} {'baseline':>12} {'now':>12} {'change':>9}"

    def row(nodeid: str, before: Decimal, after: Decimal, change: str) -> str:
        return f"{fit(nodeid, width):<{width}} {format_money(before, 12):>12} {format_money(after, 12):>12} {change:>9}"

    if comparison.regressions:
        count = len(comparison.regressions)
        lines.append(
            f"REGRESSION: {count} test{'s' if count != 1 else ''} got costlier than the baseline "
            f"allows (tolerance {tolerance}):"
        )
        lines += [header, "-" * len(header)]
        for change in comparison.regressions:
            lines.append(row(change.nodeid, change.baseline, change.current, change.percent_text()))
            for reason in change.reasons:
                lines.append(fit(f"    {reason}", WIDTH))
    if comparison.improvements:
        count = len(comparison.improvements)
        if lines:
            lines.append("")
        lines.append(
            f"improvement: {count} test{'s' if count != 1 else ''} got cheaper (not a failure):"
        )
        lines += [header, "-" * len(header)]
        for change in comparison.improvements:
            lines.append(row(change.nodeid, change.baseline, change.current, change.percent_text()))
    notes = []
    if comparison.within_tolerance:
        notes.append(f"{len(comparison.within_tolerance)} rose within tolerance")
    if comparison.new_tests:
        notes.append(f"{len(comparison.new_tests)} not in the baseline")
    if comparison.missing_tests:
        notes.append(f"{len(comparison.missing_tests)} in the baseline did not run")
    if lines:
        lines.append("")
    verdict = "FAILED" if comparison.failed else "passed"
    summary = (
        f"baseline {verdict}: {comparison.compared} test{'s' if comparison.compared != 1 else ''}"
        f" compared with {comparison.path} (tolerance {tolerance})"
    )
    lines.append(fit(summary, WIDTH))
    if notes:
        lines.append(fit(f"  ({'; '.join(notes)})", WIDTH))
    return lines
