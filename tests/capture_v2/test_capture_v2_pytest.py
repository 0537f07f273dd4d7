"""The pytest glue over a Langfuse 2.x capture: budgets, require_attribution, enforce_attribution.

The glue is SDK-independent (tests/capture/test_capture_pytest.py covers its argument checking and
reporting in depth); these runs prove it sees what the v2 adapter captured.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from v2_helpers import needs_usage_details
from v2_workflows import SEED_AGENTS

SEED_TOTAL = sum(Decimal(a.cost or "0") for a in SEED_AGENTS)
BUDGET_TEST = """
import pytest
from v2_workflows import run_seed_workflow

@pytest.mark.agentcost({args})
def test_budget(agentcost_capture):
    run_seed_workflow()
"""


def test_a_budget_that_holds_passes(v2_pytester: pytest.Pytester) -> None:
    v2_pytester.makepyfile(BUDGET_TEST.format(args=f"max_cost='{SEED_TOTAL}', max_tokens=100000"))

    result = v2_pytester.runpytest("--strict-markers")

    result.assert_outcomes(passed=1)


def test_a_cost_over_budget_fails_the_call_phase_with_a_per_agent_breakdown(
    v2_pytester: pytest.Pytester,
) -> None:
    limit = SEED_TOTAL - Decimal("0.001")
    by_cost = sorted(SEED_AGENTS, key=lambda a: Decimal(a.cost or "0"), reverse=True)
    v2_pytester.makepyfile(BUDGET_TEST.format(args=f"max_cost='{limit}'"))

    result = v2_pytester.runpytest("--strict-markers", "-rf")

    result.assert_outcomes(failed=1, errors=0)
    reports = v2_pytester.inline_run("--strict-markers").getreports("pytest_runtest_logreport")
    assert [r.when for r in reports if r.failed] == ["call"]
    result.stdout.fnmatch_lines(
        [
            f"*agentcost: cost {SEED_TOTAL} USD exceeds max_cost {limit} USD*",
            "*Per agent*",
            *[f"*{a.name}: {Decimal(a.cost or '0')} USD, 1 call,*" for a in by_cost],
            "*run_analysis ?span? total=*",
        ]
    )


@needs_usage_details
def test_too_many_tokens_fail_the_test(v2_pytester: pytest.Pytester) -> None:
    v2_pytester.makepyfile(BUDGET_TEST.format(args="max_tokens=10"))

    result = v2_pytester.runpytest()

    result.assert_outcomes(failed=1)
    tokens = sum(a.input_tokens + a.output_tokens + a.cache_read_tokens for a in SEED_AGENTS)
    result.stdout.fnmatch_lines([f"*{tokens} tokens exceed max_tokens 10*"])


def test_require_attribution_fails_a_test_whose_generations_lack_agent_type(
    v2_pytester: pytest.Pytester,
) -> None:
    v2_pytester.makepyfile(
        """
        import pytest
        from v2_workflows import run_seed_workflow

        @pytest.mark.agentcost(require_attribution=True)
        def test_unattributed(agentcost_capture):
            run_seed_workflow(with_agent_type=False)

        @pytest.mark.agentcost(require_attribution=True)
        def test_attributed(agentcost_capture):
            run_seed_workflow()
        """
    )

    result = v2_pytester.runpytest()

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*generations without `agent_type` metadata*"])


def test_enforce_attribution_checks_every_test_using_the_fixture(
    v2_pytester: pytest.Pytester,
) -> None:
    v2_pytester.makepyprojecttoml("[tool.agentcost]\nenforce_attribution = true\n")
    v2_pytester.makepyfile(
        """
        from v2_workflows import run_seed_workflow

        def test_without_session(agentcost_capture):
            run_seed_workflow(None)

        def test_fully_attributed(agentcost_capture):
            run_seed_workflow("s-1")

        def test_not_using_the_fixture():
            run_seed_workflow(None)
        """
    )

    result = v2_pytester.runpytest("-rf")

    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*1 trace without `session_id`*", "FAILED *::test_without_session*"]
    )
