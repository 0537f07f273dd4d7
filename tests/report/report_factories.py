"""Builders of report data for the report engine's unit tests (plain data, no capture involved)."""

from __future__ import annotations

from decimal import Decimal

from pytest_agentcost.report.data import (
    AgentTotals,
    Environment,
    ObservationNode,
    RunCost,
    TestCost,
    TokenCounts,
    TraceSummary,
    merge_agents,
)

ENVIRONMENT = Environment(
    plugin_version="0.1.0",
    langfuse_version="5.2.0",
    genai_prices_version="0.2.3",
    python_version="3.11.7",
    price_date="2026-12-01",
)


def make_test(nodeid: str, calls: dict[str, list[str]], *, tokens: int = 100) -> TestCost:
    """A test with one trace whose root span has one generation per (agent, cost) in `calls`."""
    children = []
    for agent, costs in calls.items():
        for index, cost in enumerate(costs):
            children.append(
                ObservationNode(
                    name=f"{agent}-{index}",
                    type="generation",
                    agent_type=agent,
                    model="gpt-4o",
                    cost=Decimal(cost),
                    total_cost=Decimal(cost),
                    tokens=TokenCounts(
                        input=tokens,
                        output=tokens // 2,
                        cache_read=tokens // 10,
                        total=tokens + tokens // 2,
                    ),
                )
            )
    total = sum((child.total_cost for child in children), Decimal(0))
    token_sum = sum((child.tokens for child in children), TokenCounts())
    root = ObservationNode(
        name="workflow",
        type="span",
        agent_type=None,
        model=None,
        cost=None,
        total_cost=total,
        tokens=TokenCounts(),
        children=tuple(children),
    )
    agents = merge_agents(
        [
            [
                AgentTotals(
                    agent_type=child.agent_type or "unknown",
                    calls=1,
                    tokens=child.tokens,
                    cost=child.total_cost,
                )
                for child in children
            ]
        ]
    )
    trace = TraceSummary(
        id=f"trace-{nodeid}",
        name="workflow",
        session_id="s-1",
        cost=total,
        tokens=token_sum,
        roots=(root,),
    )
    return TestCost(nodeid=nodeid, total=total, tokens=token_sum, agents=agents, traces=(trace,))


def make_run(*tests: TestCost) -> RunCost:
    return RunCost.build(tests, ENVIRONMENT)
