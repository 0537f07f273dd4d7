"""Shared snippets for the v2 capture tests (the conftest puts this directory on sys.path)."""

from __future__ import annotations

import pytest
from v2_workflows import HAS_USAGE_DETAILS

REAL_KEYS = {
    "LANGFUSE_PUBLIC_KEY": "pk-lf-11111111-2222-3333-4444-555555555555",
    "LANGFUSE_SECRET_KEY": "sk-lf-11111111-2222-3333-4444-555555555555",
    "LANGFUSE_HOST": "https://cloud.langfuse.com",
}

# A capture test file for pytester runs: two tests, each must see only its own trace.
CAPTURE_TEST = """
from v2_workflows import SEED_AGENTS, run_seed_workflow


def test_first_run_sees_its_trace(agentcost_capture):
    run_seed_workflow("first")
    assert [t.session_id for t in agentcost_capture.traces] == ["first"]
    assert len(agentcost_capture.generations()) == len(SEED_AGENTS)


def test_second_run_sees_only_its_own_trace(agentcost_capture):
    run_seed_workflow("second")
    assert [t.session_id for t in agentcost_capture.traces] == ["second"]
"""

needs_usage_details = pytest.mark.skipif(
    not HAS_USAGE_DETAILS,
    reason="this Langfuse 2.x release has no usage_details / cost_details (added in 2.57)",
)
