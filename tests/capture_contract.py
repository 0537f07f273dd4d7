"""The capture contract that Langfuse 2.x and Langfuse 3+ are both held to, SDK-neutral.

tests/capture (v3+) and tests/capture_v2 (2.x) each run their own SDK-specific workflow
(capture_workflows.py, v2_workflows.py) and hand it to these checks, so both SDK lines answer one
set of assertions. Nothing here imports langfuse: only one SDK line is installed in any venv.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

import pytest

from pytest_agentcost.capture.model import AgentCost, Capture, Observation, Trace
from pytest_agentcost.capture.pricing import Pricer, UnknownCostError
from pytest_agentcost.capture.sdk import install_recorder
from pytest_agentcost.config import parse_config

# -- the seed's agents, as both workflows send them ----------------------------------------------


@dataclass(frozen=True)
class Agent:
    name: str
    model: str = "gpt-4o"
    input_tokens: int = 100
    output_tokens: int = 20
    cache_read_tokens: int = 0
    cost: str | None = "0.01"  # USD as sent in cost_details["total"]; None sends no cost
    cache_hit: bool = False
    extra_metadata: dict[str, Any] = field(default_factory=dict)

    def usage_details(self) -> dict[str, int]:
        usage = {"input": self.input_tokens, "output": self.output_tokens}
        if self.cache_read_tokens:
            usage["cache_read_input_tokens"] = self.cache_read_tokens
        return usage


SEED_AGENTS = (
    Agent("security", cost="0.0125", cache_read_tokens=40, cache_hit=True),
    Agent("tech", model="gpt-4o-mini", cost="0.002"),
    Agent("synthesis", cost="0.03", input_tokens=400, output_tokens=120),
)
# Real-looking keys and the cloud host, as in a developer's shell (v3+ also reads LANGFUSE_BASE_URL).
REAL_KEYS = {
    "LANGFUSE_PUBLIC_KEY": "pk-lf-11111111-2222-3333-4444-555555555555",
    "LANGFUSE_SECRET_KEY": "sk-lf-11111111-2222-3333-4444-555555555555",
    "LANGFUSE_HOST": "https://cloud.langfuse.com",
}
SEED_TOTAL = sum(Decimal(a.cost or "0") for a in SEED_AGENTS)
# Metadata of every JSON type, as an application may send it.
MIXED_METADATA = {
    "agent_type": "planner",
    "n": 1,
    "f": 0.5,
    "flag": True,
    "nested": {"a": 1, "b": [1, 2]},
}


class RunSeedWorkflow(Protocol):
    """`run_seed_workflow` of capture_workflows.py or v2_workflows.py."""

    def __call__(self, analysis_id: str | None = ..., **kwargs: Any) -> list[str]: ...


class AnalysisWorkflowLike(Protocol):
    def run_analysis(self, url: str, analysis_id: str | None) -> Coroutine[Any, Any, list[str]]: ...


# -- the query API of `agentcost_capture` ----------------------------------------------------------


def assert_the_seed_workflow_is_one_trace_with_merged_attributes(
    capture: Capture, run_seed_workflow: RunSeedWorkflow, *, trace_id_length: int
) -> Trace:
    run_seed_workflow("analysis-42")

    trace = capture.trace("content_analysis")

    assert isinstance(trace, Trace)
    assert [t.id for t in capture.traces] == [trace.id]
    assert trace.session_id == "analysis-42"
    assert trace.tags == ["multi-agent"]
    assert trace.root.name == "run_analysis"
    assert trace.root.parent is None
    assert len(trace.id) == trace_id_length
    return trace


def assert_generations_hang_under_the_root_in_start_order(
    capture: Capture, run_seed_workflow: RunSeedWorkflow
) -> None:
    run_seed_workflow()

    root = capture.trace().root

    assert [child.name for child in root.children] == [f"{a.name}_generation" for a in SEED_AGENTS]
    assert all(child.parent is root for child in root.children)
    assert all(child.type == "generation" for child in root.children)
    starts = [child.start_time for child in root.children]
    assert starts == sorted(starts)


def assert_observations_are_every_observation_in_start_order(
    capture: Capture, run_seed_workflow: RunSeedWorkflow
) -> None:
    run_seed_workflow()

    observations = capture.observations

    assert [o.name for o in observations] == ["run_analysis"] + [
        f"{a.name}_generation" for a in SEED_AGENTS
    ]
    assert observations == capture.trace().observations
    assert all(isinstance(o, Observation) for o in observations)


def assert_generations_filter_by_agent_type_name_and_model(
    capture: Capture, run_seed_workflow: RunSeedWorkflow
) -> None:
    run_seed_workflow()

    assert [g.agent_type for g in capture.generations()] == [a.name for a in SEED_AGENTS]
    assert [g.name for g in capture.generations(agent_type="tech")] == ["tech_generation"]
    assert len(capture.generations(name="synthesis_generation")) == 1
    mini = [a.name for a in SEED_AGENTS if a.model == "gpt-4o-mini"]
    assert [g.agent_type for g in capture.generations(model="gpt-4o-mini")] == mini
    assert capture.generations(agent_type="nobody") == []
    trace = capture.trace()
    assert trace.generations(agent_type="security") == capture.generations(agent_type="security")


def assert_observation_fields_describe_the_generation(
    capture: Capture, run_seed_workflow: RunSeedWorkflow, *, observation_id_length: int
) -> None:
    before = dt.datetime.now(dt.UTC)
    run_seed_workflow()
    agent = SEED_AGENTS[0]

    generation = capture.generations(agent_type=agent.name)[0]

    assert generation.trace_id == capture.trace().id
    assert len(generation.id) == observation_id_length
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


def assert_usage_follows_langfuse_keys_and_sums_per_trace(
    capture: Capture, run_seed_workflow: RunSeedWorkflow
) -> None:
    run_seed_workflow()
    security = SEED_AGENTS[0]

    usage = capture.generations(agent_type=security.name)[0].usage

    assert usage.input_tokens == security.input_tokens
    assert usage.output_tokens == security.output_tokens
    assert usage.cache_read_input_tokens == security.cache_read_tokens
    assert usage.cache_creation_input_tokens == 0
    assert (
        usage.total_tokens
        == security.input_tokens + security.output_tokens + security.cache_read_tokens
    )
    assert usage.details["input"] == security.input_tokens
    trace_usage = capture.trace().usage
    assert trace_usage.input_tokens == sum(a.input_tokens for a in SEED_AGENTS)
    assert trace_usage.output_tokens == sum(a.output_tokens for a in SEED_AGENTS)
    assert capture.usage == trace_usage


def assert_spans_carry_no_cost_but_roll_up_their_children(
    capture: Capture, run_seed_workflow: RunSeedWorkflow
) -> None:
    run_seed_workflow()

    trace = capture.trace()

    assert trace.root.type == "span"
    assert trace.root.cost is None
    assert trace.root.cost_source is None
    assert trace.root.total_cost == SEED_TOTAL
    assert trace.total_cost == SEED_TOTAL
    assert capture.total_cost == SEED_TOTAL


def assert_costs_by_agent_rolls_up_like_the_seed_query(
    capture: Capture, run_seed_workflow: RunSeedWorkflow
) -> None:
    run_seed_workflow()
    run_seed_workflow(agents=(Agent("security", cost="0.001"),))

    costs = capture.costs_by_agent()

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
    assert sum(c.total for c in costs.values()) == capture.total_cost


def assert_generations_without_agent_type_are_grouped_as_unknown(
    capture: Capture, run_seed_workflow: RunSeedWorkflow
) -> None:
    run_seed_workflow(with_agent_type=False)

    costs = capture.costs_by_agent()

    assert list(costs) == ["unknown"]
    assert costs["unknown"].calls == len(SEED_AGENTS)


def assert_attributed_names_generations_without_agent_type_and_traces_without_session(
    capture: Capture, run_seed_workflow: RunSeedWorkflow
) -> None:
    run_seed_workflow(None, with_agent_type=False)

    with pytest.raises(AssertionError) as excinfo:
        capture.assert_attributed()

    message = str(excinfo.value)
    assert f"{len(SEED_AGENTS)} generations without `agent_type`" in message
    for agent in SEED_AGENTS:
        assert f"'{agent.name}_generation'" in message
    assert "1 trace without `session_id`" in message
    assert "name='content_analysis'" in message and "root='run_analysis'" in message
    assert "Captured 1 trace:" in message  # and the tree of what was captured
    assert "run_analysis [span]" in message


def assert_trace_lookup_failure_lists_the_captured_traces(
    capture: Capture, run_seed_workflow: RunSeedWorkflow
) -> None:
    run_seed_workflow("first")
    run_seed_workflow("second")

    with pytest.raises(AssertionError) as ambiguous:
        capture.trace("content_analysis")
    with pytest.raises(AssertionError) as missing:
        capture.trace("no-such-trace")

    assert "found 2" in str(ambiguous.value)
    assert "session_id='first'" in str(ambiguous.value)
    assert "session_id='second'" in str(ambiguous.value)
    assert "found 0" in str(missing.value)
    assert "root='run_analysis'" in str(missing.value)
    assert capture.trace(session_id="second").session_id == "second"
    assert capture.trace("content_analysis", session_id="first").session_id == "first"


def assert_trace_lookup_with_nothing_captured_says_so(capture: Capture) -> None:
    with pytest.raises(AssertionError, match="No traces were captured"):
        capture.trace()
    assert capture.traces == []
    assert capture.total_cost == Decimal(0)


def assert_tree_shows_name_type_agent_type_and_cost_per_line(
    capture: Capture, run_seed_workflow: RunSeedWorkflow
) -> None:
    run_seed_workflow()

    lines = capture.trace().tree().splitlines()

    assert lines[0] == "trace 'content_analysis' session=analysis-1"
    assert lines[1] == f"  run_analysis [span] total={SEED_TOTAL}"
    for line, agent in zip(lines[2:], SEED_AGENTS, strict=True):
        assert line == (
            f"    {agent.name}_generation [generation] agent_type={agent.name} "
            f"model={agent.model} cost={Decimal(agent.cost or '0')}"
        )


def assert_clear_forgets_what_was_captured(
    capture: Capture, run_seed_workflow: RunSeedWorkflow
) -> None:
    run_seed_workflow()
    assert capture.traces

    capture.clear()

    assert capture.traces == []
    run_seed_workflow()
    assert len(capture.traces) == 1


def assert_reads_are_rebuilt_when_new_observations_arrive(
    capture: Capture, run_seed_workflow: RunSeedWorkflow
) -> None:
    run_seed_workflow("a")
    first = capture.traces
    assert capture.traces == first  # cached while nothing changes

    run_seed_workflow("b")

    assert [t.session_id for t in capture.traces] == ["a", "b"]


def assert_computed_costs_use_pyproject_prices_and_unknown_costs_raise(
    run_seed_workflow: RunSeedWorkflow,
) -> None:
    """Price the run with a `[[tool.agentcost.models]]` table in a second Capture of its own."""
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


def assert_a_generation_without_usage_or_cost_costs_zero(
    capture: Capture, run_seed_workflow: RunSeedWorkflow
) -> None:
    idle = Agent("idle", model="no-such-model-xyz", cost=None, input_tokens=0, output_tokens=0)
    run_seed_workflow(agents=(idle,))

    generation = capture.generations()[0]

    assert generation.cost == Decimal(0)
    assert capture.total_cost == Decimal(0)


def assert_two_thousand_provided_costs_sum_exactly(
    capture: Capture, run_seed_workflow: RunSeedWorkflow
) -> None:
    agents = tuple(Agent(f"a{i % 7}", cost="0.001") for i in range(2000))
    run_seed_workflow(agents=agents)

    assert capture.total_cost == Decimal("2.000")
    assert sum(c.calls for c in capture.costs_by_agent().values()) == 2000


def assert_the_fixture_yields_a_capture_over_the_session_recorder(
    capture: Capture, *, sdk_majors: set[str]
) -> None:
    recorder = install_recorder()

    assert recorder is install_recorder()
    assert isinstance(capture, Capture)
    assert recorder.sdk_version.split(".")[0] in sdk_majors
    assert recorder.problems() == []


def assert_workflow_class_can_be_reused_across_runs(
    capture: Capture, workflow: AnalysisWorkflowLike
) -> None:
    asyncio.run(workflow.run_analysis("u", "s1"))
    asyncio.run(workflow.run_analysis("u", "s2"))

    assert {t.session_id for t in capture.traces} == {"s1", "s2"}


# -- the tree across concurrency, streaming and errors ---------------------------------------------

# The agents of the hierarchy tests: planner, writer and critic, each with its own cost.
TEAM = (Agent("planner", cost="0.01"), Agent("writer", cost="0.02"), Agent("critic", cost="0.03"))


def assert_asyncio_gather_children_hang_under_their_root(
    capture: Capture, gather_root: Callable[[tuple[Agent, ...]], Coroutine[Any, Any, list[str]]]
) -> None:
    asyncio.run(gather_root(TEAM))

    trace = capture.trace(session_id="gather-session")

    assert trace.root.name == "gather_root"
    assert sorted(c.agent_type or "" for c in trace.root.children) == sorted(a.name for a in TEAM)
    assert all(c.parent is trace.root for c in trace.root.children)
    assert trace.total_cost == sum(Decimal(a.cost or "0") for a in TEAM)


def assert_threads_with_a_copied_context_keep_their_parent(
    capture: Capture, thread_root: Callable[..., list[str]]
) -> None:
    thread_root(TEAM, copy_context=True)

    trace = capture.trace()

    assert trace.root.name == "thread_root"
    assert len(trace.root.children) == len(TEAM)
    assert {c.agent_type for c in trace.root.children} == {a.name for a in TEAM}


def assert_a_generator_generation_hangs_under_its_root_once_consumed(
    capture: Capture, stream_root: Callable[[Agent], str]
) -> tuple[Observation, Observation]:
    """Consume the planner's stream; return its root and its generation (both ended)."""
    assert stream_root(TEAM[0]) == "abc"

    root = capture.trace().root

    assert root.name == "stream_root"
    [generation] = root.children
    assert generation.agent_type == "planner"
    assert generation.end_time is not None and root.end_time is not None
    return root, generation


def assert_an_async_streaming_generation_hangs_under_its_root(
    capture: Capture, astream_root: Callable[[Agent], Coroutine[Any, Any, str]]
) -> None:
    assert asyncio.run(astream_root(TEAM[1])) == "xy"

    root = capture.trace().root

    assert root.name == "astream_root"
    assert [c.agent_type for c in root.children] == ["writer"]
    assert root.total_cost == Decimal("0.02")


def assert_an_exception_marks_the_observation_and_its_ancestors_error(
    capture: Capture,
    failing_root: Callable[[Agent], None],
    error: type[Exception],
    *,
    middle_name: str,
) -> Observation:
    """Fail the critic two levels down; the cost still counts. Return the failed generation."""
    with pytest.raises(error):
        failing_root(TEAM[2])

    trace = capture.trace()
    generation = trace.generations()[0]

    assert [o.name for o in trace.observations] == [
        "failing_root",
        middle_name,
        "critic_generation",
    ]
    assert [o.level for o in trace.observations] == ["ERROR", "ERROR", "ERROR"]
    assert generation.cost == Decimal("0.03")
    assert trace.total_cost == Decimal("0.03")
    assert "ERROR" in trace.tree()
    return generation


# -- metadata ------------------------------------------------------------------------------------


def assert_observation_metadata_of_every_json_type_round_trips(
    capture: Capture, send_generation_metadata: Callable[[Any], None]
) -> None:
    send_generation_metadata(MIXED_METADATA)

    [generation] = capture.generations()

    assert dict(generation.metadata) == MIXED_METADATA
    assert generation.agent_type == "planner"


def assert_non_dict_metadata_is_kept_under_the_metadata_key(
    capture: Capture, send_generation_metadata: Callable[[Any], None]
) -> None:
    send_generation_metadata("just-a-string")

    [generation] = capture.generations()

    assert dict(generation.metadata) == {"metadata": "just-a-string"}
    assert generation.agent_type is None


# -- pytester runs of the pytest glue ------------------------------------------------------------
# `workflows` names the SDK's workflow module that the generated test files import.


def capture_test_file(workflows: str) -> str:
    """A test file of two tests, each of which must see only its own trace."""
    return f"""
from {workflows} import SEED_AGENTS, run_seed_workflow


def test_first_run_sees_its_trace(agentcost_capture):
    run_seed_workflow("first")
    assert [t.session_id for t in agentcost_capture.traces] == ["first"]
    assert len(agentcost_capture.generations()) == len(SEED_AGENTS)


def test_second_run_sees_only_its_own_trace(agentcost_capture):
    run_seed_workflow("second")
    assert [t.session_id for t in agentcost_capture.traces] == ["second"]
"""


def budget_test_file(workflows: str, marker_args: str) -> str:
    """A test file whose one test runs the seed workflow under `@pytest.mark.agentcost(...)`."""
    return f"""
import pytest
from {workflows} import run_seed_workflow

@pytest.mark.agentcost({marker_args})
def test_budget(agentcost_capture):
    run_seed_workflow()
"""


def assert_a_budget_that_holds_passes(pytester: pytest.Pytester, workflows: str) -> None:
    pytester.makepyfile(budget_test_file(workflows, f"max_cost='{SEED_TOTAL}', max_tokens=100000"))

    result = pytester.runpytest("--strict-markers")

    result.assert_outcomes(passed=1)


def assert_a_cost_over_budget_fails_the_call_phase_with_a_per_agent_breakdown(
    pytester: pytest.Pytester, workflows: str
) -> None:
    limit = SEED_TOTAL - Decimal("0.001")
    by_cost = sorted(SEED_AGENTS, key=lambda a: Decimal(a.cost or "0"), reverse=True)
    pytester.makepyfile(budget_test_file(workflows, f"max_cost='{limit}'"))

    result = pytester.runpytest("--strict-markers", "-rf")

    result.assert_outcomes(failed=1, errors=0)
    reports = pytester.inline_run("--strict-markers").getreports("pytest_runtest_logreport")
    assert [r.when for r in reports if r.failed] == ["call"]
    result.stdout.fnmatch_lines(
        [
            f"*agentcost: cost {SEED_TOTAL} USD exceeds max_cost {limit} USD*",
            "*Per agent*",
            *[f"*{a.name}: {Decimal(a.cost or '0')} USD, 1 call,*" for a in by_cost],
            "*run_analysis ?span? total=*",
            "FAILED test_a_cost_over_budget_fails_the_call_phase_with_a_per_agent_breakdown.py::test_budget*",
        ]
    )


def assert_too_many_tokens_fail_the_test(pytester: pytest.Pytester, workflows: str) -> None:
    pytester.makepyfile(budget_test_file(workflows, "max_tokens=10"))

    result = pytester.runpytest()

    result.assert_outcomes(failed=1)
    tokens = sum(a.input_tokens + a.output_tokens + a.cache_read_tokens for a in SEED_AGENTS)
    result.stdout.fnmatch_lines([f"*{tokens} tokens exceed max_tokens 10*"])


def assert_require_attribution_fails_a_test_whose_generations_lack_agent_type(
    pytester: pytest.Pytester, workflows: str
) -> None:
    pytester.makepyfile(
        f"""
        import pytest
        from {workflows} import run_seed_workflow

        @pytest.mark.agentcost(require_attribution=True)
        def test_unattributed(agentcost_capture):
            run_seed_workflow(with_agent_type=False)

        @pytest.mark.agentcost(require_attribution=True)
        def test_attributed(agentcost_capture):
            run_seed_workflow()
        """
    )

    result = pytester.runpytest()

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*generations without `agent_type` metadata*"])


def assert_enforce_attribution_checks_every_test_using_the_fixture(
    pytester: pytest.Pytester, workflows: str
) -> None:
    pytester.makepyprojecttoml("[tool.agentcost]\nenforce_attribution = true\n")
    pytester.makepyfile(
        f"""
        from {workflows} import run_seed_workflow

        def test_without_session(agentcost_capture):
            run_seed_workflow(None)

        def test_fully_attributed(agentcost_capture):
            run_seed_workflow("s-1")

        def test_not_using_the_fixture():
            run_seed_workflow(None)
        """
    )

    result = pytester.runpytest("-rf")

    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*1 trace without `session_id`*", "FAILED *::test_without_session*"]
    )


# -- the checks that need only the capture and the SDK's `run_seed_workflow` ----------------------

SeedWorkflowCheck = Callable[[Capture, RunSeedWorkflow], None]

SEED_WORKFLOW_CHECKS: tuple[SeedWorkflowCheck, ...] = (
    assert_generations_hang_under_the_root_in_start_order,
    assert_observations_are_every_observation_in_start_order,
    assert_generations_filter_by_agent_type_name_and_model,
    assert_spans_carry_no_cost_but_roll_up_their_children,
    assert_generations_without_agent_type_are_grouped_as_unknown,
    assert_attributed_names_generations_without_agent_type_and_traces_without_session,
    assert_trace_lookup_failure_lists_the_captured_traces,
    assert_tree_shows_name_type_agent_type_and_cost_per_line,
    assert_clear_forgets_what_was_captured,
    assert_reads_are_rebuilt_when_new_observations_arrive,
    assert_a_generation_without_usage_or_cost_costs_zero,
    assert_two_thousand_provided_costs_sum_exactly,
)
# These need the SDK to send usage_details / cost_details (Langfuse 2.57+ on the v2 line).
USAGE_DETAILS_CHECKS: tuple[SeedWorkflowCheck, ...] = (
    assert_usage_follows_langfuse_keys_and_sums_per_trace,
    assert_costs_by_agent_rolls_up_like_the_seed_query,
)


def check_id(check: SeedWorkflowCheck) -> str:
    """The test id of a check: its name without `assert_`, a sentence."""
    return check.__name__.removeprefix("assert_")


# --- re-imports of langfuse (tests/capture/test_capture_reimport.py and its v2 counterpart) ---

#: The test function of a pytester run whose generation (cost 0.0125, agent "security", 100 input
#: tokens) is created by `call_security_agent()`, which each SDK line's snippet defines itself.
CAPTURED_GENERATION_TEST = """

def test_generation_is_captured_with_its_cost_and_agent(agentcost_capture):
    call_security_agent()

    costs = agentcost_capture.costs_by_agent()
    assert list(costs) == ["security"]
    assert costs["security"].total == Decimal("0.0125")
    assert costs["security"].calls == 1
    assert costs["security"].input_tokens == 100
"""


def forget_langfuse(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drop every `langfuse` module, as pytester does after a run (restored after the test)."""
    import sys

    for name in [n for n in sys.modules if n == "langfuse" or n.startswith("langfuse.")]:
        monkeypatch.delitem(sys.modules, name)


def wrapper_depth(function: Callable[..., Any]) -> int:
    """How many wrappers (`__wrapped__` links) stand in front of the SDK's own function."""
    depth = 0
    while hasattr(function, "__wrapped__"):
        function = function.__wrapped__
        depth += 1
    return depth


def check_a_fresh_import_in_a_second_in_process_run_still_captures(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, test_source: str
) -> None:
    """Two pytester runs of `test_source`; the second imports langfuse as new objects."""
    import sys

    forget_langfuse(monkeypatch)
    pytester.makepyfile(test_reimported=test_source)

    first = pytester.inline_run()
    langfuse_was_dropped = "langfuse" not in sys.modules
    second = pytester.inline_run()

    assert langfuse_was_dropped  # so the second run imported langfuse as new objects
    first.assertoutcome(passed=1)
    second.assertoutcome(passed=1)
