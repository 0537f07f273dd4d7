"""Shared snippets for the v2 capture tests (the conftest puts this directory on sys.path)."""

from __future__ import annotations

import pytest
from capture_contract import REAL_KEYS, capture_test_file
from v2_workflows import HAS_USAGE_DETAILS

__all__ = ["CAPTURE_TEST", "REAL_KEYS", "needs_usage_details"]

# A capture test file for pytester runs: two tests, each must see only its own trace.
CAPTURE_TEST = capture_test_file("v2_workflows")

needs_usage_details = pytest.mark.skipif(
    not HAS_USAGE_DETAILS,
    reason="this Langfuse 2.x release has no usage_details / cost_details (added in 2.57)",
)
