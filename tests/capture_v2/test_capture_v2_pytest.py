"""The pytest glue over a Langfuse 2.x capture: budgets, require_attribution, enforce_attribution.

The glue is SDK-independent (tests/capture/test_capture_pytest.py covers its argument checking and
reporting in depth); these runs prove it sees what the v2 adapter captured.
"""

from __future__ import annotations

import capture_contract as contract
import pytest
from v2_helpers import needs_usage_details


def test_a_budget_that_holds_passes(v2_pytester: pytest.Pytester) -> None:
    contract.assert_a_budget_that_holds_passes(v2_pytester, "v2_workflows")


def test_a_cost_over_budget_fails_the_call_phase_with_a_per_agent_breakdown(
    v2_pytester: pytest.Pytester,
) -> None:
    contract.assert_a_cost_over_budget_fails_the_call_phase_with_a_per_agent_breakdown(
        v2_pytester, "v2_workflows"
    )


@needs_usage_details
def test_too_many_tokens_fail_the_test(v2_pytester: pytest.Pytester) -> None:
    contract.assert_too_many_tokens_fail_the_test(v2_pytester, "v2_workflows")


def test_require_attribution_fails_a_test_whose_generations_lack_agent_type(
    v2_pytester: pytest.Pytester,
) -> None:
    contract.assert_require_attribution_fails_a_test_whose_generations_lack_agent_type(
        v2_pytester, "v2_workflows"
    )


def test_enforce_attribution_checks_every_test_using_the_fixture(
    v2_pytester: pytest.Pytester,
) -> None:
    contract.assert_enforce_attribution_checks_every_test_using_the_fixture(
        v2_pytester, "v2_workflows"
    )
