"""pytest glue for the run-wide cost report: terminal summary, JSON/HTML reports, baseline gate, xdist.

How the figures flow:
1. At the teardown of each test that used `agentcost_capture`, the capture fixture calls
   `record_test_cost(request.node, capture)`; that summarises the test (`report.data.TestCost`)
   into this process's `CostCollector`.
2. Under pytest-xdist, each worker sends its summaries, as JSON, to the controller through
   `config.workeroutput` at the end of its session; the controller merges them in
   `pytest_testnodedown`. The merged run does not depend on which worker ran what.
3. The controller (or the only process of a serial run) builds the `RunCost` in
   `pytest_sessionfinish`, compares it with the baseline, writes the requested files, sets a failing
   exit status on a regression, and prints the `agentcost` section in `pytest_terminal_summary`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import pytest

from pytest_agentcost.config import non_negative_decimal
from pytest_agentcost.pytest_config import agentcost_config

if TYPE_CHECKING:
    from pytest_agentcost.report.baseline import Baseline, Comparison
    from pytest_agentcost.report.data import RunCost, TestCost, TraceLike
    from pytest_agentcost.report.terminal import SummaryMode

# The report modules are imported inside the functions that need them, so that a run that
# captures nothing and asks for no report pays nothing for them at start-up.

__all__ = ["CostCollector", "addoption", "configure", "record_test_cost"]

SUMMARY_MODES = ("no", "agents", "full")
WORKEROUTPUT_KEY = "agentcost_tests"


class CaptureLike(Protocol):
    """What `record_test_cost` needs from the capture object: its traces."""

    @property
    def traces(self) -> Sequence[TraceLike]: ...


class CostCollector:
    """The test summaries recorded in this process, keyed by node id (a rerun replaces a test)."""

    def __init__(self) -> None:
        self._tests: dict[str, TestCost] = {}
        self.problems: list[
            str
        ] = []  # figures that could not be collected (shown, and fail the run)

    def add(self, test: TestCost) -> None:
        self._tests[test.nodeid] = test

    def tests(self) -> list[TestCost]:
        return list(self._tests.values())


COLLECTOR_KEY = pytest.StashKey[CostCollector]()


@dataclass(frozen=True)
class ReportOptions:
    """The report's command-line options, validated."""

    summary: SummaryMode
    json_path: Path | None
    html_path: Path | None
    save_baseline: Path | None
    baseline: Path | None
    tolerance: Decimal


def addoption(group: pytest.OptionGroup) -> None:
    """Add the report options."""
    group.addoption(
        "--agentcost-summary",
        choices=SUMMARY_MODES,
        default="full",
        help="the agentcost terminal section: 'full' (agents, 10 costliest tests, total; default), "
        "'agents' (agents and total) or 'no'.",
    )
    group.addoption(
        "--agentcost-report",
        metavar="PATH",
        default=None,
        help="write the run's costs as JSON (schema: docs/report-schema.md).",
    )
    group.addoption(
        "--agentcost-html",
        metavar="PATH",
        default=None,
        help="write a self-contained HTML cost report (chart by agent, trace trees per test).",
    )
    group.addoption(
        "--agentcost-save-baseline",
        metavar="PATH",
        default=None,
        help="save each test's cost and per-agent costs as a baseline to compare later runs with.",
    )
    group.addoption(
        "--agentcost-baseline",
        metavar="PATH",
        default=None,
        help="fail the run when a test costs more than the baseline allows, or uses a new agent.",
    )
    group.addoption(
        "--agentcost-tolerance",
        metavar="PERCENT",
        default=None,
        help="allowed cost rise per test against the baseline, in percent "
        "(default: [tool.agentcost] tolerance, else 5).",
    )


def _path(config: pytest.Config, name: str) -> Path | None:
    value = config.getoption(name)
    return Path(value) if value else None


def _tolerance(config: pytest.Config) -> Decimal:
    """`--agentcost-tolerance`, else `[tool.agentcost] tolerance`; a bad value is a usage error."""
    raw = config.getoption("agentcost_tolerance")
    if raw is None:
        return agentcost_config(config).tolerance
    value = non_negative_decimal(str(raw).strip().removesuffix("%"))
    if value is None:
        raise pytest.UsageError(
            f"--agentcost-tolerance must be a non-negative percentage such as 5 or 2.5, got {raw!r}."
        )
    return value


def _options(config: pytest.Config) -> ReportOptions:
    return ReportOptions(
        summary=cast("SummaryMode", config.getoption("agentcost_summary")),
        json_path=_path(config, "agentcost_report"),
        html_path=_path(config, "agentcost_html"),
        save_baseline=_path(config, "agentcost_save_baseline"),
        baseline=_path(config, "agentcost_baseline"),
        tolerance=_tolerance(config),
    )


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def configure(config: pytest.Config) -> None:
    """Validate the options, load the baseline (a missing or corrupt file stops the run), and
    register the worker or controller hooks."""
    options = _options(config)
    collector = CostCollector()
    config.stash[COLLECTOR_KEY] = collector
    if _is_xdist_worker(config):
        config.pluginmanager.register(_WorkerHooks(collector), "agentcost-report-worker")
        return
    baseline = None
    if options.baseline is not None:
        from pytest_agentcost.report.baseline import Baseline, BaselineError

        try:
            baseline = Baseline.load(options.baseline)
        except BaselineError as exc:
            raise pytest.UsageError(str(exc)) from None
    config.pluginmanager.register(
        _ControllerHooks(options, collector, baseline), "agentcost-report"
    )
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistControllerHooks(collector), "agentcost-report-xdist")


def record_test_cost(item: pytest.Item, capture: CaptureLike) -> None:
    """Add the test's captured costs to the run report (the capture fixture calls this at teardown)."""
    collector = item.config.stash.get(COLLECTOR_KEY, None)
    if collector is not None:
        from pytest_agentcost.report.data import summarise_test

        collector.add(summarise_test(item.nodeid, capture.traces))


class _WorkerHooks:
    """On an xdist worker: hand the recorded summaries to the controller."""

    def __init__(self, collector: CostCollector) -> None:
        self.collector = collector

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Put this worker's test summaries into `workeroutput` (xdist sends it to the controller)."""
        output: dict[str, Any] = getattr(session.config, "workeroutput")  # noqa: B009
        output[WORKEROUTPUT_KEY] = json.dumps([test.to_json() for test in self.collector.tests()])


class _XdistControllerHooks:
    """On the xdist controller: merge what each worker recorded."""

    def __init__(self, collector: CostCollector) -> None:
        self.collector = collector

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object | None) -> None:
        """Merge a finished worker's test summaries."""
        from pytest_agentcost.report.data import ReportDataError, TestCost

        output = getattr(node, "workeroutput", None) or {}
        payload = output.get(WORKEROUTPUT_KEY)
        worker = getattr(getattr(node, "gateway", None), "id", "a worker")
        if not payload:
            if error is not None:
                self.collector.problems.append(
                    f"{worker} went down ({error}); the costs of the tests it ran are missing"
                )
            return
        try:
            for index, data in enumerate(json.loads(payload)):
                self.collector.add(TestCost.from_json(data, f"{worker} test[{index}]"))
        except (ValueError, ReportDataError) as exc:  # e.g. two plugin versions in one run
            self.collector.problems.append(f"{worker} sent an unreadable cost summary: {exc}")


@dataclass(frozen=True)
class _Outcome:
    """What the controller computed at the end of the session, for the terminal summary."""

    run: RunCost
    comparison: Comparison | None
    written: tuple[str, ...]
    errors: tuple[str, ...]


class _ControllerHooks:
    """In the controller (or a serial run): build the run, gate it, write files, print the summary."""

    def __init__(
        self, options: ReportOptions, collector: CostCollector, baseline: Baseline | None
    ) -> None:
        self.options = options
        self.collector = collector
        self.baseline = baseline
        self.outcome: _Outcome | None = None

    def _has_work(self) -> bool:
        """Whether the session end has anything to compute, write or report."""
        options = self.options
        return bool(
            self.collector.tests()
            or self.collector.problems
            or self.baseline is not None
            or options.json_path
            or options.html_path
            or options.save_baseline
        )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Compare with the baseline, write the reports, and fail the run on a regression."""
        if not self._has_work():
            return  # nothing captured, no report or baseline asked for: nothing to show
        from pytest_agentcost.report.baseline import Baseline, compare
        from pytest_agentcost.report.data import Environment, RunCost
        from pytest_agentcost.report.html import write_html_report
        from pytest_agentcost.report.json_report import write_json_report

        price_date = agentcost_config(session.config).price_date
        run = RunCost.build(
            self.collector.tests(),
            Environment.current(price_date.isoformat() if price_date else None),
        )
        options = self.options
        comparison = None
        if self.baseline is not None and options.baseline is not None:
            comparison = compare(
                self.baseline, run, tolerance=options.tolerance, path=options.baseline
            )
        written: list[str] = []
        errors: list[str] = list(self.collector.problems)
        jobs: list[tuple[str, Path | None, Callable[[Path], None]]] = [
            ("JSON report", options.json_path, lambda p: write_json_report(p, run, comparison)),
            ("HTML report", options.html_path, lambda p: write_html_report(p, run, comparison)),
            ("baseline", options.save_baseline, lambda p: Baseline.from_run(run).save(p, run)),
        ]
        for what, path, write in jobs:
            if path is None:
                continue
            try:
                write(path)
            except OSError as exc:
                errors.append(f"cannot write the {what} to {path}: {exc.strerror or exc}")
            else:
                written.append(f"{what} written to {path}")
        self.outcome = _Outcome(run, comparison, tuple(written), tuple(errors))
        failed = (comparison is not None and comparison.failed) or bool(errors)
        if failed and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Print the `agentcost` section: the cost summary, the baseline verdict, the files written."""
        outcome = self.outcome
        if outcome is None:
            return
        from pytest_agentcost.report.terminal import comparison_lines, summary_lines

        quiet = terminalreporter.config.getoption("verbose") < 0
        lines = (
            summary_lines(outcome.run, self.options.summary, quiet=quiet)
            if outcome.run.has_observations
            else []
        )
        comparison = comparison_lines(outcome.comparison) if outcome.comparison else []
        if not (lines or comparison or outcome.written or outcome.errors):
            return
        terminalreporter.write_sep("=", "agentcost")
        for line in lines:
            terminalreporter.write_line(line)
        if comparison:
            if lines:
                terminalreporter.write_line("")
            failed = outcome.comparison is not None and outcome.comparison.failed
            for line in comparison:
                terminalreporter.write_line(line, red=failed, green=not failed)
        for line in outcome.written:
            terminalreporter.write_line(f"agentcost: {line}")
        for line in outcome.errors:
            terminalreporter.write_line(f"agentcost: ERROR: {line}", red=True)
