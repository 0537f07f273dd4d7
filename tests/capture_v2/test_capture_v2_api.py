"""The public query API of `agentcost_capture` on Langfuse 2.x: the same seed workflow, in v2 form.

The same assertions as tests/capture/test_capture_api.py (v3+), so the two SDK lines are held to
one contract. Only the id formats differ: v2 ids are UUIDs, not OTel hex ids.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from v2_helpers import needs_usage_details
from v2_workflows import SEED_AGENTS, Agent, AnalysisWorkflow, run_seed_workflow

from pytest_agentcost.capture.model import AgentCost, Capture, Observation, Trace
from pytest_agentcost.capture.pricing import Pricer, UnknownCostError
from pytest_agentcost.capture.sdk import install_recorder
from pytest_agentcost.config import parse_config


def test_the_seed_workflow_is_one_trace_with_merged_attributes(agentcost_capture: Capture) -> None:
    run_seed_workflow("analysis-42")

    trace = agentcost_capture.trace("content_analysis")

    assert isinstance(trace, Trace)
    assert [t.id for t in agentcost_capture.traces] == [trace.id]
    assert trace.session_id == "analysis-42"
    assert trace.tags == ["multi-agent"]
    assert trace.root.name == "run_analysis"
    assert trace.root.parent is None
    assert len(trace.id) == 36  # a v2 trace id is a UUID
    assert trace.root.id == trace.id  # the v2 trace is presented as its own root observation


def test_generations_hang_under_the_root_in_start_order(agentcost_capture: Capture) -> None:
    run_seed_workflow()

    root = agentcost_capture.trace().root

    assert [child.name for child in root.children] == [f"{a.name}_generation" for a in SEED_AGENTS]
    assert all(child.parent is root for child in root.children)
    assert all(child.type == "generation" for child in root.children)
    starts = [child.start_time for child in root.children]
    assert starts == sorted(starts)


def test_observations_are_every_observation_in_start_order(agentcost_capture: Capture) -> None:
    run_seed_workflow()

    observations = agentcost_capture.observations

    assert [o.name for o in observations] == ["run_analysis"] + [
        f"{a.name}_generation" for a in SEED_AGENTS
    ]
    assert observations == agentcost_capture.trace().observations
    assert all(isinstance(o, Observation) for o in observations)


def test_generations_filter_by_agent_type_name_and_model(agentcost_capture: Capture) -> None:
    run_seed_workflow()

    assert [g.agent_type for g in agentcost_capture.generations()] == [a.name for a in SEED_AGENTS]
    assert [g.name for g in agentcost_capture.generations(agent_type="tech")] == ["tech_generation"]
    assert len(agentcost_capture.generations(name="synthesis_generation")) == 1
    mini = [a.name for a in SEED_AGENTS if a.model == "gpt-4o-mini"]
    assert [g.agent_type for g in agentcost_capture.generations(model="gpt-4o-mini")] == mini
    assert agentcost_capture.generations(agent_type="nobody") == []
    trace = agentcost_capture.trace()
    assert trace.generations(agent_type="security") == agentcost_capture.generations(
        agent_type="security"
    )


def test_observation_fields_describe_the_generation(agentcost_capture: Capture) -> None:
    before = dt.datetime.now(dt.UTC)
    run_seed_workflow()
    agent = SEED_AGENTS[0]

    generation = agentcost_capture.generations(agent_type=agent.name)[0]

    assert generation.trace_id == agentcost_capture.trace().id
    assert len(generation.id) == 36
    assert generation.model == agent.model
    assert generation.metadata["agent_type"] == agent.name
    assert generation.metadata["cache_hit"] is agent.cache_hit
    assert generation.cost == Decimal(agent.cost or "0")
    assert generation.cost_source == "provided"
    assert generation.total_cost == generation.cost
    assert generation.level == "DEFAULT"
    assert generation.status_message is None
    assert generation.end_time is not None
    assert before <= generation.start_time <= generation.end_time
    assert generation.children == ()


@needs_usage_details
def test_usage_follows_langfuse_keys_and_sums_per_trace(agentcost_capture: Capture) -> None:
    run_seed_workflow()
    security = SEED_AGENTS[0]

    usage = agentcost_capture.generations(agent_type=security.name)[0].usage

    assert usage.input_tokens == security.input_tokens
    assert usage.output_tokens == security.output_tokens
    assert usage.cache_read_input_tokens == security.cache_read_tokens
    assert usage.cache_creation_input_tokens == 0
    assert (
        usage.total_tokens
        == security.input_tokens + security.output_tokens + security.cache_read_tokens
    )
    assert usage.details["input"] == security.input_tokens
    trace_usage = agentcost_capture.trace().usage
    assert trace_usage.input_tokens == sum(a.input_tokens for a in SEED_AGENTS)
    assert trace_usage.output_tokens == sum(a.output_tokens for a in SEED_AGENTS)
    assert agentcost_capture.usage == trace_usage


def test_spans_carry_no_cost_but_roll_up_their_children(agentcost_capture: Capture) -> None:
    run_seed_workflow()
    expected = sum(Decimal(a.cost or "0") for a in SEED_AGENTS)

    trace = agentcost_capture.trace()

    assert trace.root.type == "span"
    assert trace.root.cost is None
    assert trace.root.cost_source is None
    assert trace.root.total_cost == expected
    assert trace.total_cost == expected
    assert agentcost_capture.total_cost == expected


@needs_usage_details
def test_costs_by_agent_rolls_up_like_the_seed_query(agentcost_capture: Capture) -> None:
    run_seed_workflow()
    run_seed_workflow(agents=(Agent("security", cost="0.001"),))

    costs = agentcost_capture.costs_by_agent()

    assert set(costs) == {a.name for a in SEED_AGENTS}
    security = costs["security"]
    assert isinstance(security, AgentCost)
    assert security.total == Decimal(SEED_AGENTS[0].cost or "0") + Decimal("0.001")
    assert security.calls == 2
    assert security.cache_hits == 1
    assert security.input_tokens == SEED_AGENTS[0].input_tokens + 100
    assert security.output_tokens == SEED_AGENTS[0].output_tokens + 20
    assert security.cache_read_input_tokens == SEED_AGENTS[0].cache_read_tokens
    assert costs["tech"].cache_hits == 0
    assert sum(c.total for c in costs.values()) == agentcost_capture.total_cost


def test_generations_without_agent_type_are_grouped_as_unknown(agentcost_capture: Capture) -> None:
    run_seed_workflow(with_agent_type=False)

    costs = agentcost_capture.costs_by_agent()

    assert list(costs) == ["unknown"]
    assert costs["unknown"].calls == len(SEED_AGENTS)


def test_assert_attributed_passes_when_every_generation_and_trace_is_attributed(
    agentcost_capture: Capture,
) -> None:
    run_seed_workflow()

    agentcost_capture.assert_attributed()


def test_assert_attributed_names_generations_without_agent_type_and_traces_without_session(
    agentcost_capture: Capture,
) -> None:
    run_seed_workflow(None, with_agent_type=False)

    with pytest.raises(AssertionError) as excinfo:
        agentcost_capture.assert_attributed()

    message = str(excinfo.value)
    assert f"{len(SEED_AGENTS)} generations without `agent_type`" in message
    for agent in SEED_AGENTS:
        assert f"'{agent.name}_generation'" in message
    assert "1 trace without `session_id`" in message
    assert "name='content_analysis'" in message and "root='run_analysis'" in message
    assert "Captured 1 trace:" in message  # and the tree of what was captured
    assert "run_analysis [span]" in message


def test_trace_lookup_failure_lists_the_captured_traces(agentcost_capture: Capture) -> None:
    run_seed_workflow("first")
    run_seed_workflow("second")

    with pytest.raises(AssertionError) as ambiguous:
        agentcost_capture.trace("content_analysis")
    with pytest.raises(AssertionError) as missing:
        agentcost_capture.trace("no-such-trace")

    assert "found 2" in str(ambiguous.value)
    assert "session_id='first'" in str(ambiguous.value)
    assert "session_id='second'" in str(ambiguous.value)
    assert "found 0" in str(missing.value)
    assert "root='run_analysis'" in str(missing.value)
    assert agentcost_capture.trace(session_id="second").session_id == "second"
    assert agentcost_capture.trace("content_analysis", session_id="first").session_id == "first"


def test_trace_lookup_with_nothing_captured_says_so(agentcost_capture: Capture) -> None:
    with pytest.raises(AssertionError, match="No traces were captured"):
        agentcost_capture.trace()
    assert agentcost_capture.traces == []
    assert agentcost_capture.total_cost == Decimal(0)


def test_tree_shows_name_type_agent_type_and_cost_per_line(agentcost_capture: Capture) -> None:
    run_seed_workflow()
    expected_total = sum(Decimal(a.cost or "0") for a in SEED_AGENTS)

    lines = agentcost_capture.trace().tree().splitlines()

    assert lines[0] == "trace 'content_analysis' session=analysis-1"
    assert lines[1] == f"  run_analysis [span] total={expected_total}"
    for line, agent in zip(lines[2:], SEED_AGENTS, strict=True):
        assert line == (
            f"    {agent.name}_generation [generation] agent_type={agent.name} "
            f"model={agent.model} cost={Decimal(agent.cost or '0')}"
        )


def test_clear_forgets_what_was_captured(agentcost_capture: Capture) -> None:
    run_seed_workflow()
    assert agentcost_capture.traces

    agentcost_capture.clear()

    assert agentcost_capture.traces == []
    run_seed_workflow()
    assert len(agentcost_capture.traces) == 1


def test_reads_are_rebuilt_when_new_observations_arrive(agentcost_capture: Capture) -> None:
    run_seed_workflow("a")
    first = agentcost_capture.traces
    assert agentcost_capture.traces == first  # cached while nothing changes

    run_seed_workflow("b")

    assert [t.session_id for t in agentcost_capture.traces] == ["a", "b"]


def test_computed_costs_use_pyproject_prices_and_unknown_costs_raise(
    agentcost_capture: Capture,
) -> None:
    config = parse_config(
        {"models": [{"match": "^house-model$", "prices": {"input": "0.001", "output": "0.002"}}]}
    )
    capture = Capture(install_recorder(), Pricer(config))
    agents = (
        Agent("priced", model="house-model", cost=None),
        Agent("mystery", model="no-such-model-xyz", cost=None),
    )
    run_seed_workflow(agents=agents)

    priced = capture.generations(agent_type="priced")[0]
    mystery = capture.generations(agent_type="mystery")[0]

    assert priced.cost == Decimal("0.001") * 100 + Decimal("0.002") * 20
    assert priced.cost_source == "computed"
    with pytest.raises(UnknownCostError, match="no-such-model-xyz"):
        _ = mystery.cost
    with pytest.raises(UnknownCostError, match=r"\[\[tool.agentcost.models\]\]"):
        _ = capture.total_cost
    with pytest.raises(UnknownCostError):
        capture.costs_by_agent()
    assert "cost=unknown" in capture.tree()  # the tree never raises


def test_a_generation_without_usage_or_cost_costs_zero(agentcost_capture: Capture) -> None:
    run_seed_workflow(
        agents=(
            Agent("idle", model="no-such-model-xyz", cost=None, input_tokens=0, output_tokens=0),
        )
    )

    generation = agentcost_capture.generations()[0]

    assert generation.cost == Decimal(0)
    assert agentcost_capture.total_cost == Decimal(0)


def test_two_thousand_provided_costs_sum_exactly(agentcost_capture: Capture) -> None:
    agents = tuple(Agent(f"a{i % 7}", cost="0.001") for i in range(2000))
    run_seed_workflow(agents=agents)

    assert agentcost_capture.total_cost == Decimal("2.000")
    assert sum(c.calls for c in agentcost_capture.costs_by_agent().values()) == 2000


def test_the_fixture_yields_a_capture_over_the_session_recorder(agentcost_capture: Capture) -> None:
    recorder = install_recorder()

    assert recorder is install_recorder()
    assert isinstance(agentcost_capture, Capture)
    assert recorder.sdk_version.split(".")[0] == "2"
    assert recorder.problems() == []


def test_workflow_class_can_be_reused_across_runs(agentcost_capture: Capture) -> None:
    workflow = AnalysisWorkflow()
    import asyncio

    asyncio.run(workflow.run_analysis("u", "s1"))
    asyncio.run(workflow.run_analysis("u", "s2"))

    assert {t.session_id for t in agentcost_capture.traces} == {"s1", "s2"}
