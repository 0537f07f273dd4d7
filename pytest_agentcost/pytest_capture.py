"""pytest glue for runtime capture: the offline guard, `agentcost_capture`, the `agentcost` budget marker.

- `early_configure()` runs before conftest files load (so before application code can build a
  Langfuse client at import time) and installs `capture.sdk.install_guard()`: from then on, for
  the whole session, no Langfuse client can send anything anywhere. It imports no Langfuse code.
- `agentcost_capture` is function-scoped over the session-wide recorder: it clears the recorder
  before and after the test, so each test sees only its own observations.
- Budgets (`@pytest.mark.agentcost(...)`) and `[tool.agentcost] enforce_attribution` are checked
  in a `pytest_runtest_call` wrapper after the test body has passed, so a breach is reported as
  a FAILED call, not as a teardown error.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from pytest_agentcost.config import non_negative_decimal
from pytest_agentcost.pytest_config import agentcost_config
from pytest_agentcost.pytest_report import record_test_cost

if TYPE_CHECKING:
    from pytest_agentcost.capture.model import Capture
    from pytest_agentcost.capture.pricing import Pricer

MARKER = "agentcost"
FIXTURE = "agentcost_capture"
MARKER_HELP = (
    "agentcost(max_cost=None, max_tokens=None, require_attribution=False): fail the test after "
    "its body ran when the captured Langfuse cost (USD, as a string such as '0.05') or tokens "
    "exceed the limit, or (require_attribution=True) when attribution is incomplete."
)

CAPTURE_KEY = pytest.StashKey["Capture"]()
BUDGET_KEY = pytest.StashKey["Budget"]()
PRICER_KEY = pytest.StashKey["Pricer"]()


def addoption(group: pytest.OptionGroup) -> None:
    """Add the capture options (none yet: the offline guard is always on)."""


def early_configure(config: pytest.Config) -> None:
    """Hold every Langfuse client offline, before any conftest or application module is imported."""
    from pytest_agentcost.capture.sdk import install_guard

    install_guard()


def configure(config: pytest.Config) -> None:
    """Install the guard (if not done yet), register the `agentcost` marker and the budget checks."""
    early_configure(config)
    config.addinivalue_line("markers", MARKER_HELP)
    if not config.pluginmanager.has_plugin(_CapturePlugin.name):
        config.pluginmanager.register(_CapturePlugin(), _CapturePlugin.name)


@pytest.fixture
def agentcost_capture(request: pytest.FixtureRequest) -> Iterator[Capture]:
    """Capture every Langfuse observation of the test, offline."""
    from pytest_agentcost.capture.model import Capture
    from pytest_agentcost.capture.sdk import install_recorder

    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        request.node.stash[BUDGET_KEY] = budget_from_marker(marker)
    recorder = install_recorder()
    recorder.clear()
    capture = Capture(recorder, _pricer(request.config))
    request.node.stash[CAPTURE_KEY] = capture
    try:
        yield capture
        _record_for_report(request.node, capture)
    finally:
        recorder.clear()


def _record_for_report(item: pytest.Item, capture: Capture) -> None:
    """Add the test to the run-wide cost report, unless tracing was disabled (its reads say so)."""
    from pytest_agentcost.capture.model import TracingDisabledError

    try:
        record_test_cost(item, capture)
    except TracingDisabledError:
        pass  # every read of the capture in the test, and any budget, already fails naming the setting


@dataclass(frozen=True)
class Budget:
    """The limits of one `@pytest.mark.agentcost(...)`."""

    max_cost: Decimal | None = None
    max_tokens: int | None = None
    require_attribution: bool = False


def budget_from_marker(marker: pytest.Mark) -> Budget:
    """Validate `@pytest.mark.agentcost(...)`; a bad argument fails the test naming it and the fix."""
    usage = (
        "use @pytest.mark.agentcost(max_cost='0.05', max_tokens=10000, require_attribution=True)"
    )
    if marker.args:
        pytest.fail(f"@pytest.mark.agentcost takes keyword arguments only; {usage}.", pytrace=False)
    unknown = sorted(set(marker.kwargs) - {"max_cost", "max_tokens", "require_attribution"})
    if unknown:
        pytest.fail(
            f"@pytest.mark.agentcost: unknown argument {unknown[0]!r}; {usage}.", pytrace=False
        )
    return Budget(
        max_cost=_max_cost(marker.kwargs.get("max_cost")),
        max_tokens=_max_tokens(marker.kwargs.get("max_tokens")),
        require_attribution=_flag(marker.kwargs.get("require_attribution", False)),
    )


def _max_cost(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):
        pytest.fail(
            f"@pytest.mark.agentcost: max_cost={value!r} is a float, which is not exact money; "
            f"write it as a string: max_cost='{value}'.",
            pytrace=False,
        )
    if isinstance(value, Decimal | int | str) and not isinstance(value, bool):
        amount = non_negative_decimal(value)
        if amount is not None:
            return amount
    pytest.fail(
        f"@pytest.mark.agentcost: max_cost={value!r} is not a non-negative amount of USD; "
        "write it as a string such as max_cost='0.05'.",
        pytrace=False,
    )


def _max_tokens(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    pytest.fail(
        f"@pytest.mark.agentcost: max_tokens={value!r} is not a non-negative integer; "
        "write it such as max_tokens=10000.",
        pytrace=False,
    )


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    pytest.fail(
        f"@pytest.mark.agentcost: require_attribution={value!r} must be True or False.",
        pytrace=False,
    )


def _pricer(config: pytest.Config) -> Pricer:
    """The session's Pricer, built once from `[tool.agentcost]`."""
    pricer = config.stash.get(PRICER_KEY, None)
    if pricer is None:
        from pytest_agentcost.capture.pricing import Pricer

        pricer = config.stash[PRICER_KEY] = Pricer(agentcost_config(config))
    return pricer


class _CapturePlugin:
    """Hooks that check budgets and attribution in the call phase of tests using the fixture."""

    name = "agentcost-capture"

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """A test with the `agentcost` marker uses `agentcost_capture` even if it does not ask for it."""
        for item in items:
            names = getattr(item, "fixturenames", None)
            if isinstance(names, list) and FIXTURE not in names and item.get_closest_marker(MARKER):
                names.append(FIXTURE)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, object, object]:
        """After a passing body, enforce the budget and attribution; a breach fails the call."""
        result = yield
        capture = item.stash.get(CAPTURE_KEY, None)
        if capture is not None:
            _enforce(item, capture)
        return result


def _enforce(item: pytest.Item, capture: Capture) -> None:
    budget = item.stash.get(BUDGET_KEY, None)
    attribution = agentcost_config(item.config).enforce_attribution
    if budget is None and not attribution:
        return
    failures: list[str] = []
    try:
        if budget is not None and budget.max_cost is not None:
            total = capture.total_cost
            if total > budget.max_cost:
                failures.append(f"cost {total} USD exceeds max_cost {budget.max_cost} USD")
        if budget is not None and budget.max_tokens is not None:
            tokens = capture.usage.total_tokens
            if tokens > budget.max_tokens:
                failures.append(f"{tokens} tokens exceed max_tokens {budget.max_tokens}")
        if failures:
            failures.append(_breakdown(capture))
        if (budget is not None and budget.require_attribution) or attribution:
            capture.assert_attributed()
    except AssertionError as exc:  # unknown costs, disabled tracing, incomplete attribution
        failures.append(str(exc))
    if failures:
        pytest.fail("agentcost: " + "\n\n".join(failures), pytrace=False)


def _breakdown(capture: Capture) -> str:
    """Per-agent table plus the captured trees, for a budget failure."""
    agents = capture.costs_by_agent()
    lines = ["Per agent (agent_type: cost USD, calls, input / output / cache-read tokens):"]
    for agent, cost in sorted(agents.items(), key=lambda kv: kv[1].total, reverse=True):
        lines.append(
            f"  {agent}: {cost.total} USD, {cost.calls} call{'s' if cost.calls != 1 else ''}, "
            f"{cost.input_tokens} / {cost.output_tokens} / {cost.cache_read_input_tokens}"
        )
    lines += ["", "Captured:", capture.tree()]
    return "\n".join(lines)
