"""Shared snippets for the capture tests' pytester runs."""

from __future__ import annotations

import capture_contract as contract

REAL_KEYS = {**contract.REAL_KEYS, "LANGFUSE_BASE_URL": "https://cloud.langfuse.com"}

# A capture test file for pytester runs: two tests, each must see only its own trace.
CAPTURE_TEST = contract.capture_test_file("capture_workflows")
