"""The pytest glue: isolation, the `agentcost` budget marker, enforce_attribution, xdist, no cache."""

from __future__ import annotations

import capture_contract as contract
import pytest
from conftest_helpers import CAPTURE_TEST


def test_each_test_sees_only_its_own_observations(capture_pytester: pytest.Pytester) -> None:
    capture_pytester.makepyfile(CAPTURE_TEST)

    result = capture_pytester.runpytest()

    result.assert_outcomes(passed=2)


def test_a_budget_that_holds_passes(capture_pytester: pytest.Pytester) -> None:
    contract.assert_a_budget_that_holds_passes(capture_pytester, "capture_workflows")


def test_a_cost_over_budget_fails_the_call_phase_with_a_per_agent_breakdown(
    capture_pytester: pytest.Pytester,
) -> None:
    contract.assert_a_cost_over_budget_fails_the_call_phase_with_a_per_agent_breakdown(
        capture_pytester, "capture_workflows"
    )


def test_too_many_tokens_fail_the_test(capture_pytester: pytest.Pytester) -> None:
    contract.assert_too_many_tokens_fail_the_test(capture_pytester, "capture_workflows")


def test_require_attribution_fails_a_test_whose_generations_lack_agent_type(
    capture_pytester: pytest.Pytester,
) -> None:
    contract.assert_require_attribution_fails_a_test_whose_generations_lack_agent_type(
        capture_pytester, "capture_workflows"
    )


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
    capture_pytester.makepyfile(contract.budget_test_file("capture_workflows", args))

    result = capture_pytester.runpytest()

    result.assert_outcomes(errors=1)
    assert message in result.stdout.str()


def test_enforce_attribution_checks_every_test_using_the_fixture(
    capture_pytester: pytest.Pytester,
) -> None:
    contract.assert_enforce_attribution_checks_every_test_using_the_fixture(
        capture_pytester, "capture_workflows"
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
