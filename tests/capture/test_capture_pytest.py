"""The pytest glue: isolation, the `agentcost` budget marker, enforce_attribution, xdist, no cache."""

from __future__ import annotations

from decimal import Decimal

import pytest
from capture_workflows import SEED_AGENTS
from conftest_helpers import CAPTURE_TEST

SEED_TOTAL = sum(Decimal(a.cost or "0") for a in SEED_AGENTS)
BUDGET_TEST = """
import pytest
from capture_workflows import run_seed_workflow

@pytest.mark.agentcost({args})
def test_budget(agentcost_capture):
    run_seed_workflow()
"""


def test_each_test_sees_only_its_own_observations(capture_pytester: pytest.Pytester) -> None:
    capture_pytester.makepyfile(CAPTURE_TEST)

    result = capture_pytester.runpytest()

    result.assert_outcomes(passed=2)


def test_a_budget_that_holds_passes(capture_pytester: pytest.Pytester) -> None:
    capture_pytester.makepyfile(
        BUDGET_TEST.format(args=f"max_cost='{SEED_TOTAL}', max_tokens=100000")
    )

    result = capture_pytester.runpytest("--strict-markers")

    result.assert_outcomes(passed=1)


def test_a_cost_over_budget_fails_the_call_phase_with_a_per_agent_breakdown(
    capture_pytester: pytest.Pytester,
) -> None:
    limit = SEED_TOTAL - Decimal("0.001")
    by_cost = sorted(
        SEED_AGENTS, key=lambda a: Decimal(a.cost or "0"), reverse=True
    )  # costliest first
    capture_pytester.makepyfile(BUDGET_TEST.format(args=f"max_cost='{limit}'"))

    result = capture_pytester.runpytest("--strict-markers", "-rf")

    result.assert_outcomes(failed=1, errors=0)
    reports = capture_pytester.inline_run("--strict-markers").getreports("pytest_runtest_logreport")
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


def test_too_many_tokens_fail_the_test(capture_pytester: pytest.Pytester) -> None:
    capture_pytester.makepyfile(BUDGET_TEST.format(args="max_tokens=10"))

    result = capture_pytester.runpytest()

    result.assert_outcomes(failed=1)
    tokens = sum(a.input_tokens + a.output_tokens + a.cache_read_tokens for a in SEED_AGENTS)
    result.stdout.fnmatch_lines([f"*{tokens} tokens exceed max_tokens 10*"])


def test_require_attribution_fails_a_test_whose_generations_lack_agent_type(
    capture_pytester: pytest.Pytester,
) -> None:
    capture_pytester.makepyfile(
        """
        import pytest
        from capture_workflows import run_seed_workflow

        @pytest.mark.agentcost(require_attribution=True)
        def test_unattributed(agentcost_capture):
            run_seed_workflow(with_agent_type=False)

        @pytest.mark.agentcost(require_attribution=True)
        def test_attributed(agentcost_capture):
            run_seed_workflow()
        """
    )

    result = capture_pytester.runpytest()

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*generations without `agent_type` metadata*"])


def test_the_marker_alone_brings_in_the_capture(capture_pytester: pytest.Pytester) -> None:
    capture_pytester.makepyfile(
        """
        import pytest
        from capture_workflows import run_seed_workflow

        @pytest.mark.agentcost(max_cost="0")
        def test_without_fixture_argument():
            run_seed_workflow()
        """
    )

    result = capture_pytester.runpytest()

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*exceeds max_cost 0 USD*"])


def test_a_failing_body_is_reported_as_itself_not_as_a_budget_breach(
    capture_pytester: pytest.Pytester,
) -> None:
    capture_pytester.makepyfile(
        """
        import pytest
        from capture_workflows import run_seed_workflow

        @pytest.mark.agentcost(max_cost="0")
        def test_body_fails(agentcost_capture):
            run_seed_workflow()
            assert False, "the body's own failure"
        """
    )

    result = capture_pytester.runpytest()

    result.assert_outcomes(failed=1)
    assert "the body's own failure" in result.stdout.str()
    assert "exceeds max_cost" not in result.stdout.str()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("0.05", "takes keyword arguments only"),
        (
            "max_cost=0.05",
            "is a float, which is not exact money; write it as a string: max_cost='0.05'",
        ),
        ("max_cost='cheap'", "max_cost='cheap' is not a non-negative amount of USD"),
        ("max_tokens='many'", "max_tokens='many' is not a non-negative integer"),
        ("require_attribution='yes'", "require_attribution='yes' must be True or False"),
        ("max_costs='0.05'", "unknown argument 'max_costs'"),
    ],
)
def test_a_bad_marker_argument_is_named_with_the_fix(
    capture_pytester: pytest.Pytester, args: str, message: str
) -> None:
    capture_pytester.makepyfile(BUDGET_TEST.format(args=args))

    result = capture_pytester.runpytest()

    result.assert_outcomes(errors=1)
    assert message in result.stdout.str()


def test_enforce_attribution_checks_every_test_using_the_fixture(
    capture_pytester: pytest.Pytester,
) -> None:
    capture_pytester.makepyprojecttoml("[tool.agentcost]\nenforce_attribution = true\n")
    capture_pytester.makepyfile(
        """
        from capture_workflows import run_seed_workflow

        def test_without_session(agentcost_capture):
            run_seed_workflow(None)

        def test_fully_attributed(agentcost_capture):
            run_seed_workflow("s-1")

        def test_not_using_the_fixture():
            run_seed_workflow(None)
        """
    )

    result = capture_pytester.runpytest("-rf")

    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*1 trace without `session_id`*", "FAILED *::test_without_session*"]
    )


def test_capture_tests_pass_under_xdist(capture_pytester: pytest.Pytester) -> None:
    capture_pytester.makepyfile(CAPTURE_TEST)

    result = capture_pytester.runpytest_subprocess("-p", "socket_guard", "-n", "2")

    result.assert_outcomes(passed=2)


def test_capture_tests_pass_without_the_cache_provider(capture_pytester: pytest.Pytester) -> None:
    capture_pytester.makepyfile(CAPTURE_TEST)

    result = capture_pytester.runpytest_subprocess("-p", "socket_guard", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=2)


def test_the_marker_is_registered(capture_pytester: pytest.Pytester) -> None:
    result = capture_pytester.runpytest("--markers")

    result.stdout.fnmatch_lines(
        ["@pytest.mark.agentcost(max_cost=None, max_tokens=None, require_attribution=False)*"]
    )
