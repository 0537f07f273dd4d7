"""Settings that disable tracing: each is either captured anyway or fails naming the setting."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from capture_workflows import SEED_AGENTS, run_seed_workflow
from conftest_helpers import CAPTURE_TEST
from langfuse import Langfuse
from langfuse._client.resource_manager import LangfuseResourceManager

from pytest_agentcost.capture.model import Capture, TracingDisabledError


@pytest.fixture
def fresh_clients() -> Iterator[None]:
    """Clients are per-process singletons: start and end these tests without any."""
    LangfuseResourceManager.reset()
    yield
    LangfuseResourceManager.reset()


def test_a_sample_rate_of_zero_still_captures_everything(
    monkeypatch: pytest.MonkeyPatch, fresh_clients: None, agentcost_capture: Capture
) -> None:
    monkeypatch.setenv("LANGFUSE_SAMPLE_RATE", "0")

    run_seed_workflow()

    assert len(agentcost_capture.generations()) == len(SEED_AGENTS)


def test_an_explicit_sample_rate_below_one_still_captures_everything(
    fresh_clients: None, agentcost_capture: Capture
) -> None:
    Langfuse(sample_rate=0.0)

    run_seed_workflow()

    assert len(agentcost_capture.generations()) == len(SEED_AGENTS)


def test_otel_sdk_disabled_still_captures_everything(
    monkeypatch: pytest.MonkeyPatch, fresh_clients: None, agentcost_capture: Capture
) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")

    run_seed_workflow()

    assert len(agentcost_capture.generations()) == len(SEED_AGENTS)


def test_otel_sdk_disabled_for_the_whole_run_still_captures_everything(
    capture_pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    capture_pytester.makepyfile(CAPTURE_TEST)

    result = capture_pytester.runpytest_subprocess("-p", "socket_guard")

    result.assert_outcomes(passed=2)


def test_missing_keys_still_capture_everything(
    monkeypatch: pytest.MonkeyPatch, fresh_clients: None, agentcost_capture: Capture
) -> None:
    monkeypatch.delenv("LANGFUSE_PUBLIC_KEY", raising=False)
    monkeypatch.delenv("LANGFUSE_SECRET_KEY", raising=False)

    run_seed_workflow()

    assert len(agentcost_capture.generations()) == len(SEED_AGENTS)


def test_langfuse_tracing_enabled_false_fails_the_read_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, fresh_clients: None, agentcost_capture: Capture
) -> None:
    monkeypatch.setenv("LANGFUSE_TRACING_ENABLED", "false")

    run_seed_workflow()

    with pytest.raises(TracingDisabledError, match="LANGFUSE_TRACING_ENABLED=false") as excinfo:
        _ = agentcost_capture.total_cost
    assert "monkeypatch.delenv('LANGFUSE_TRACING_ENABLED')" in str(excinfo.value)
    with pytest.raises(TracingDisabledError):
        _ = agentcost_capture.traces


def test_a_client_built_with_tracing_disabled_fails_the_read_while_it_lives(
    fresh_clients: None, agentcost_capture: Capture
) -> None:
    client = Langfuse(tracing_enabled=False)

    with pytest.raises(TracingDisabledError, match="tracing_enabled=False"):
        agentcost_capture.generations()
    assert client is not None


def test_the_clients_of_a_disabled_key_keep_failing_reads_after_the_first_one_is_gone(
    fresh_clients: None, agentcost_capture: Capture
) -> None:
    Langfuse(tracing_enabled=False)  # the first client per key wins: the key stays disabled
    agentcost_capture.clear()

    run_seed_workflow()  # its get_client() calls return disabled clients: the SDK traces nothing

    with pytest.raises(TracingDisabledError, match="tracing_enabled=False"):
        agentcost_capture.costs_by_agent()


def test_a_budget_fails_in_the_call_phase_when_tracing_is_disabled(
    capture_pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANGFUSE_TRACING_ENABLED", "false")
    capture_pytester.makepyfile(
        """
        import pytest
        from capture_workflows import run_seed_workflow

        @pytest.mark.agentcost(max_cost="1")
        def test_budget():
            run_seed_workflow()
        """
    )

    result = capture_pytester.runpytest_subprocess("-p", "socket_guard")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*LANGFUSE_TRACING_ENABLED=false disables Langfuse tracing*"])
