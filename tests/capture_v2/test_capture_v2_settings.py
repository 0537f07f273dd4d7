"""Settings that disable a Langfuse 2.x client or sample its events do not empty the capture.

v2 checks `enabled` and the sample rate inside `TaskManager.add_task` (2.50-2.54) or its consumer
thread (2.55+); the capture replaces `add_task`, so it records every event regardless. The v3+
settings (`LANGFUSE_TRACING_ENABLED`, `OTEL_SDK_DISABLED`) are not read by v2 at all.
Mirrors tests/capture/test_capture_settings.py (v3+).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from v2_workflows import SEED_AGENTS, run_seed_workflow

from pytest_agentcost.capture.model import Capture


@pytest.fixture
def decorator_client() -> Iterator[Any]:
    """Lets a test reconfigure `langfuse_context`; restores a default client afterwards."""
    from langfuse.decorators import langfuse_context

    yield langfuse_context
    langfuse_context.configure(enabled=True)


def assert_seed_captured(capture: Capture) -> None:
    assert capture.trace("content_analysis").session_id == "analysis-1"
    assert [g.agent_type for g in capture.generations()] == [a.name for a in SEED_AGENTS]
    assert capture.costs_by_agent()["security"].calls == 1


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        pytest.param("LANGFUSE_SAMPLE_RATE", "0", id="sample-rate-zero"),
        pytest.param("LANGFUSE_SAMPLE_RATE", "0.1", id="sample-rate-below-one"),
        pytest.param("LANGFUSE_TRACING_ENABLED", "false", id="v3-tracing-flag"),
        pytest.param("OTEL_SDK_DISABLED", "true", id="otel-disabled"),
    ],
)
def test_an_environment_setting_that_would_drop_events_still_captures_everything(
    decorator_client: Any,
    agentcost_capture: Capture,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
) -> None:
    monkeypatch.setenv(variable, value)
    decorator_client.configure()  # a fresh decorator client that reads the environment

    for _ in range(5):  # with sampling, several traces would lose some
        run_seed_workflow()

    assert len(agentcost_capture.traces) == 5
    assert agentcost_capture.costs_by_agent()["security"].calls == 5


def test_a_decorator_client_configured_with_enabled_false_still_captures_everything(
    decorator_client: Any, agentcost_capture: Capture
) -> None:
    decorator_client.configure(enabled=False)

    run_seed_workflow()

    assert_seed_captured(agentcost_capture)
    assert decorator_client.client_instance.enabled is False


def test_missing_keys_still_capture_everything(
    decorator_client: Any, agentcost_capture: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LANGFUSE_PUBLIC_KEY", raising=False)
    monkeypatch.delenv("LANGFUSE_SECRET_KEY", raising=False)
    decorator_client.configure()

    run_seed_workflow()

    assert_seed_captured(agentcost_capture)
    assert decorator_client.client_instance.enabled is False  # the SDK itself would send nothing


def test_an_explicit_sample_rate_of_zero_on_a_client_still_captures_everything(
    agentcost_capture: Capture,
) -> None:
    from langfuse import Langfuse

    client = Langfuse(public_key="pk-lf-x", secret_key="sk-lf-x", sample_rate=0.0)
    for index in range(10):
        client.trace(name="sampled", session_id=str(index)).generation(name="g", model="gpt-4o")

    assert len(agentcost_capture.traces) == 10
