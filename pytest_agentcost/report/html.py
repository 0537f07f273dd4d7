"""The HTML report (`--agentcost-html=PATH`): one self-contained page, no network assets.

The page holds the session totals (the same figures as the JSON report), an inline SVG bar chart of
cost by agent, the per-agent table, the baseline comparison when there was one, and per test its
trace trees as nested `<details>` elements with rolled-up costs. No script, no external CSS, font
or image: it renders from a `file://` URL on an offline CI machine.

Stable hooks for tools and tests: `#session-total[data-cost]`, `#agent-chart rect.bar[data-agent]
[data-cost]`, `#agent-table tr[data-agent]`, `details.test[data-nodeid][data-cost]`.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape
from pathlib import Path

from pytest_agentcost.atomic import write_atomically
from pytest_agentcost.report.baseline import Comparison, TestChange
from pytest_agentcost.report.data import ObservationNode, RunCost, TestCost, TraceSummary, money
from pytest_agentcost.report.formatting import format_count, format_money, format_share

__all__ = ["MAX_NODES_PER_TEST", "render_html", "write_html_report"]

MAX_NODES_PER_TEST = 2000  # deeper trees are cut (the JSON report has them all)

_PALETTE = ("#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951", "#ff8ab7", "#a463f2", "#97bbf5")

_CSS = """
:root { color-scheme: light; --fg: #1d2330; --muted: #5f6b7a; --line: #d9dee5; --bad: #b42318;
  --good: #067647; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  margin: 0 auto; max-width: 1100px; padding: 24px; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.total { font-size: 18px; margin: 4px 0; }
.env, .note { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: right; }
th:first-child, td:first-child { text-align: left; }
tfoot td { font-weight: 600; border-top: 2px solid var(--fg); }
code { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
#agent-chart { display: block; margin: 8px 0 16px; }
#agent-chart text { font: 13px system-ui, sans-serif; fill: var(--fg); }
details.test { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; padding: 4px 10px; }
details.test > summary { cursor: pointer; }
details.trace { margin: 6px 0 6px 8px; }
ul.tree { list-style: none; margin: 2px 0 2px 18px; padding: 0; }
ul.tree li { margin: 1px 0; }
.obs-type { color: var(--muted); font-size: 12px; }
.agent { background: #eef2ff; border-radius: 4px; padding: 0 5px; font-size: 12px; }
.model { color: var(--muted); font-size: 12px; }
.cost { font-variant-numeric: tabular-nums; }
.rollup { color: var(--muted); font-variant-numeric: tabular-nums; }
.regression { color: var(--bad); }
.improvement { color: var(--good); }
.warning { color: var(--bad); }
"""


def _money_cell(value: Decimal) -> str:
    return f'<td class="cost" data-cost="{money(value)}">{escape(format_money(value))}</td>'


def _chart(run: RunCost) -> str:
    """An inline SVG horizontal bar chart of cost by agent (one `rect.bar` per agent)."""
    label_width, bar_width, value_width, row = 170, 560, 190, 30
    width = label_width + bar_width + value_width
    height = max(1, len(run.agents)) * row + 10
    largest = max((agent.cost for agent in run.agents), default=Decimal(0))
    svg = (
        f'<svg id="agent-chart" role="img" aria-label="Cost by agent" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
    )
    parts = [svg]
    if not run.agents:
        parts.append('<text x="0" y="20">No generations were captured.</text>')
    for index, agent in enumerate(run.agents):
        y = 5 + index * row
        length = 0.0 if largest == 0 else float(agent.cost / largest) * bar_width
        if agent.cost > 0:
            length = max(length, 2.0)  # a tiny cost still shows as a sliver
        colour = _PALETTE[index % len(_PALETTE)]
        name = escape(agent.agent_type)
        value = escape(f"{format_money(agent.cost)} ({format_share(run.share(agent.cost))})")
        parts.append(
            f'<g class="bar-row"><text x="{label_width - 8}" y="{y + 17}" text-anchor="end">'
            f"{escape(agent.agent_type[:24])}</text>"
            f'<rect class="bar" data-agent="{name}" data-cost="{money(agent.cost)}" x="{label_width}" '
            f'y="{y + 3}" width="{length:.2f}" height="20" rx="3" fill="{colour}">'
            f"<title>{name}: {value}</title></rect>"
            f'<text x="{label_width + length + 6:.2f}" y="{y + 17}">{value}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _agent_table(run: RunCost) -> str:
    rows = []
    for agent in run.agents:
        rows.append(
            f'<tr data-agent="{escape(agent.agent_type)}"><td>{escape(agent.agent_type)}</td>'
            f"<td>{agent.calls}</td><td>{format_count(agent.tokens.input)}</td>"
            f"<td>{format_count(agent.tokens.output)}</td>"
            f"<td>{format_count(agent.tokens.cache_read)}</td><td>{agent.cache_hits}</td>"
            f"{_money_cell(agent.cost)}<td>{format_share(run.share(agent.cost))}</td></tr>"
        )
    tokens = run.tokens
    return (
        '<table id="agent-table"><thead><tr><th>agent</th><th>calls</th><th>input</th>'
        "<th>output</th><th>cache read</th><th>cache hits</th><th>cost</th><th>share</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody>"
        f'<tfoot><tr id="agent-total"><td>total</td><td>{run.calls}</td>'
        f"<td>{format_count(tokens.input)}</td><td>{format_count(tokens.output)}</td>"
        f"<td>{format_count(tokens.cache_read)}</td>"
        f"<td>{sum(agent.cache_hits for agent in run.agents)}</td>"
        f"{_money_cell(run.total)}<td>{format_share(run.share(run.total))}</td></tr></tfoot></table>"
    )


class _TreeRenderer:
    """Renders trace trees as nested lists, stopping after `MAX_NODES_PER_TEST` observations."""

    def __init__(self) -> None:
        self.budget = MAX_NODES_PER_TEST
        self.cut = 0

    def node(self, node: ObservationNode) -> str:
        if self.budget <= 0:
            self.cut += 1 + sum(_count(child) for child in node.children)
            return ""
        self.budget -= 1
        label = [
            f"<code>{escape(node.name)}</code>",
            f'<span class="obs-type">{escape(node.type)}</span>',
        ]
        if node.agent_type:
            label.append(f'<span class="agent">{escape(node.agent_type)}</span>')
        if node.model:
            label.append(f'<span class="model">{escape(node.model)}</span>')
        if node.cost is not None:
            label.append(
                f'<span class="cost" data-cost="{money(node.cost)}">{format_money(node.cost)}</span>'
            )
        if node.children:
            label.append(
                f'<span class="rollup" data-total-cost="{money(node.total_cost)}">'
                f"rolled up {format_money(node.total_cost)}</span>"
            )
        if node.tokens.total or node.tokens.input or node.tokens.output:
            label.append(
                f'<span class="model">{format_count(node.tokens.input)} in / '
                f"{format_count(node.tokens.output)} out</span>"
            )
        text = " ".join(label)
        if not node.children:
            return f"<li>{text}</li>"
        children = "".join(self.node(child) for child in node.children)
        return f'<li><details class="obs" open><summary>{text}</summary><ul class="tree">{children}</ul></details></li>'

    def trace(self, trace: TraceSummary) -> str:
        title = escape(trace.name or "(unnamed trace)")
        session = (
            f' <span class="model">session {escape(trace.session_id)}</span>'
            if trace.session_id
            else ""
        )
        roots = "".join(self.node(root) for root in trace.roots)
        return (
            f'<details class="trace" open data-trace-id="{escape(trace.id)}" data-cost="{money(trace.cost)}">'
            f"<summary>trace <code>{title}</code>{session} "
            f'<span class="cost">{format_money(trace.cost)}</span></summary>'
            f'<ul class="tree">{roots}</ul></details>'
        )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _count(node: ObservationNode) -> int:
    return 1 + sum(_count(child) for child in node.children)


def _test(test: TestCost) -> str:
    renderer = _TreeRenderer()
    traces = "".join(renderer.trace(trace) for trace in test.traces)
    if renderer.cut:
        traces += f'<p class="note">{renderer.cut} more observations are in the JSON report.</p>'
    agents = ", ".join(
        f'<span class="agent">{escape(agent.agent_type)}</span> {format_money(agent.cost)}'
        for agent in test.agents
    )
    warning = ""
    if test.unpriced:
        models = ", ".join(sorted({item.model or "(no model)" for item in test.unpriced}))
        warning = (
            f'<p class="warning">{len(test.unpriced)} generation(s) had no price and count as $0: '
            f"{escape(models)}.</p>"
        )
    return (
        f'<details class="test" data-nodeid="{escape(test.nodeid)}" data-cost="{money(test.total)}">'
        f'<summary><span class="cost">{format_money(test.total)}</span> <code>{escape(test.nodeid)}</code>'
        f' <span class="model">{_plural(test.calls, "call")}, {_plural(len(test.traces), "trace")}'
        "</span></summary>"
        f'<p class="note">by agent: {agents or "none"}</p>{warning}{traces}</details>'
    )


def _comparison(comparison: Comparison) -> str:
    def rows(changes: tuple[TestChange, ...], css: str) -> str:
        return "".join(
            f'<tr class="{css}"><td><code>{escape(change.nodeid)}</code>'
            + "".join(f"<br><small>{escape(reason)}</small>" for reason in change.reasons)
            + f"</td>{_money_cell(change.baseline)}{_money_cell(change.current)}"
            f"<td>{escape(change.percent_text())}</td></tr>"
            for change in changes
        )

    verdict = "failed" if comparison.failed else "passed"
    css = "regression" if comparison.failed else "improvement"
    tolerance = f"{comparison.tolerance.normalize():f}%"
    body = rows(comparison.regressions, "regression") + rows(comparison.improvements, "improvement")
    table = (
        "<table><thead><tr><th>test</th><th>baseline</th><th>now</th><th>change</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
        if body
        else ""
    )
    return (
        f'<section id="baseline"><h2>Baseline</h2><p class="{css}" id="baseline-verdict">'
        f"Baseline {verdict}: {comparison.compared} tests compared with "
        f"<code>{escape(str(comparison.path))}</code> (tolerance {escape(tolerance)}); "
        f"{len(comparison.regressions)} regressions, {len(comparison.improvements)} improvements."
        f"</p>{table}</section>"
    )


def render_html(run: RunCost, comparison: Comparison | None = None) -> str:
    """The whole page as a string."""
    env = run.environment
    versions = [f"pytest-agentcost {env.plugin_version}", f"Python {env.python_version}"]
    if env.langfuse_version:
        versions.append(f"Langfuse SDK {env.langfuse_version}")
    if env.genai_prices_version:
        versions.append(f"genai-prices {env.genai_prices_version}")
    versions.append(
        f"prices as of {env.price_date}" if env.price_date else "prices as of each call's start"
    )
    tests = sorted(run.tests, key=lambda t: (-t.total, t.nodeid))
    unpriced = run.unpriced
    warning = (
        f'<p class="warning" id="unpriced">{len(unpriced)} generation(s) had no price and count as $0 '
        "in these totals. Add a [[tool.agentcost.models]] price for them in pyproject.toml.</p>"
        if unpriced
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Agent cost report: {escape(format_money(run.total))}</title><style>{_CSS}</style></head>"
        "<body><header><h1>Agent cost report</h1>"
        f'<p class="total">Session total: <strong id="session-total" data-cost="{money(run.total)}">'
        f'{escape(format_money(run.total))}</strong> in <span id="session-calls">{run.calls}</span> '
        f'calls across <span id="session-tests">{len(run.tests)}</span> tests and '
        f'<span id="session-traces">{run.trace_count}</span> traces</p>'
        f'<p class="env">{escape(" · ".join(versions))}</p>{warning}</header>'
        f"{_comparison(comparison) if comparison else ''}"
        f'<section id="agents"><h2>Cost by agent</h2>{_chart(run)}{_agent_table(run)}</section>'
        f'<section id="tests"><h2>Tests, costliest first</h2>{"".join(_test(t) for t in tests)}'
        "</section>"
        '<footer><p class="note">Amounts are rounded to 6 decimal places here; the JSON report '
        "(--agentcost-report) has them exactly.</p></footer></body></html>\n"
    )


def write_html_report(path: Path, run: RunCost, comparison: Comparison | None = None) -> None:
    """Write the HTML report to `path`."""
    write_atomically(path, render_html(run, comparison))
