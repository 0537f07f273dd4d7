"""Langfuse 2.x: capture keeps working when `langfuse` is imported afresh in the same process.

The v2 counterpart of tests/capture/test_capture_reimport.py: pytester's in-process runs restore
`sys.modules`, so the next run imports `langfuse` (and its `TaskManager`) as new objects, which
the session-wide recorder must patch too.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

import pytest
from capture_contract import (
    CAPTURED_GENERATION_TEST,
    check_a_fresh_import_in_a_second_in_process_run_still_captures,
    forget_langfuse,
    wrapper_depth,
)

from pytest_agentcost.capture.model import Capture, TracingDisabledError
from pytest_agentcost.capture.sdk import install_recorder
from pytest_agentcost.capture.sdk_v2 import task_manager_class

# One generation with a provided cost, built with the langfuse this run imports.
GENERATION_TEST = (
    """
from decimal import Decimal

from langfuse.decorators import langfuse_context, observe


@observe(as_type="generation", name="security_generation")
def call_security_agent():
    langfuse_context.update_current_observation(
        model="gpt-4o",
        usage={"input": 100, "output": 20, "totalCost": 0.0125},
        metadata={"agent_type": "security"},
    )

"""
    + CAPTURED_GENERATION_TEST
)


def http_client_request() -> Callable[..., Any]:
    from langfuse.api.core.http_client import HttpClient

    request: Callable[..., Any] = HttpClient.request
    return request


def test_a_second_in_process_run_that_imports_langfuse_afresh_still_captures(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_a_fresh_import_in_a_second_in_process_run_still_captures(
        pytester, monkeypatch, GENERATION_TEST
    )


def test_the_guard_patches_the_task_manager_every_time_langfuse_is_imported_afresh(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    forget_langfuse(monkeypatch)

    importlib.import_module("langfuse")  # only the import hook can patch it: nothing else is called

    add_task = task_manager_class().__dict__["add_task"]
    assert add_task.__doc__ is not None and add_task.__doc__.startswith("pytest-agentcost")
    assert wrapper_depth(http_client_request()) == 1


def test_patching_the_same_classes_again_never_wraps_them_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install_recorder()
    depth = wrapper_depth(http_client_request())
    # A new `langfuse` module object over the same (already patched) classes: patched again.
    monkeypatch.delitem(sys.modules, "langfuse")
    importlib.import_module("langfuse")
    recorder = install_recorder()

    assert depth == 1
    assert wrapper_depth(http_client_request()) == 1
    assert recorder.problems() == []
    assert recorder is install_recorder()


def test_a_task_manager_imported_again_after_the_capture_started_fails_reads_naming_it(
    agentcost_capture: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = task_manager_class().__module__
    monkeypatch.delitem(sys.modules, name)
    importlib.import_module(name)  # a new, unpatched TaskManager: its events would be lost

    with pytest.raises(TracingDisabledError) as raised:
        agentcost_capture.generations()

    message = str(raised.value)
    assert "imported again" in message
    assert f"{name}.TaskManager" in message
    assert "Fix:" in message
