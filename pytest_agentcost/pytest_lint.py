"""pytest glue for the lint: `pytest --agentcost-lint`.

- One `path::agentcost-lint` item per Python file pytest collects, plus the files under
  `[tool.agentcost] lint_paths`, minus `exclude`. Items carry the `agentcost_lint` marker and run
  before the other tests.
- The analysis runs once per run, when the first lint item runs, over all the lint files (the
  analysis is project-wide). Each item then looks up its own file. Under pytest-xdist the
  controller hands every worker the same results path; the first worker to need the results
  computes them under a file lock and the others read its JSON (the pytest-mypy pattern).
- Extraction results are cached in pytest's cache (`.pytest_cache/d/agentcost-lint`); under
  `-p no:cacheprovider` nothing is cached and the results are the same.

Hook classes are registered only with `--agentcost-lint`; the engine (and libcst with it) is
imported only when the analysis runs.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_agentcost.pytest_config import agentcost_config

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr  # the documented return type of repr_failure

    from pytest_agentcost.config import Config
    from pytest_agentcost.lint.files import ExcludeMatcher
    from pytest_agentcost.lint.model import FileError, Finding, LintResult

# The lint modules are imported inside the functions that need them, so that a run without
# --agentcost-lint pays nothing for them at start-up.

__all__ = ["ITEM_NAME", "MARKER", "LintFile", "LintItem", "addoption", "configure"]

MARKER = "agentcost_lint"
ITEM_NAME = "agentcost-lint"
_WORKERINPUT_KEY = "agentcost_lint_results"


@dataclass(frozen=True, kw_only=True)
class LintSettings:
    """What every process of the run needs to lint: the root, the config and where results go."""

    root: Path  # finding paths are relative to it; `exclude` and `lint_paths` too
    config: Config
    invocation_dir: Path  # failure lines show paths relative to it
    results_path: Path | None  # the JSON file shared by xdist workers (None: keep in memory)
    owns_results_dir: bool  # the controller removes the results directory at the end
    excluded: ExcludeMatcher  # `exclude`, compiled once


SETTINGS_KEY = pytest.StashKey[LintSettings]()
#: The files of this run's lint items, recorded before `-m`/`-k` deselection.
FILES_KEY = pytest.StashKey[tuple[Path, ...]]()
#: Every Python file pytest walked past, also those `--lf` then skips without collecting them.
SEEN_KEY = pytest.StashKey[set[Path]]()
#: The one analysis of the run.
OUTCOME_KEY = pytest.StashKey["LintResult"]()


def addoption(group: pytest.OptionGroup) -> None:
    """Add `--agentcost-lint`."""
    group.addoption(
        "--agentcost-lint",
        action="store_true",
        default=False,
        help=(
            "check every collected Python file (plus [tool.agentcost] lint_paths) for Langfuse "
            "generations without agent_type and trace roots without session_id; "
            f"-m {MARKER} runs only these checks"
        ),
    )


def configure(config: pytest.Config) -> None:
    """Register the lint marker, and the lint hooks when `--agentcost-lint` is given."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}: the pytest-agentcost attribution check of one file (pytest --agentcost-lint)",
    )
    if not config.getoption("agentcost_lint"):
        return
    settings = _settings(config)
    config.stash[SETTINGS_KEY] = settings
    config.pluginmanager.register(LintCollectionPlugin(), "agentcost-lint-collection")
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(LintControllerPlugin(), "agentcost-lint-controller")
        if config.pluginmanager.hasplugin("xdist"):
            config.pluginmanager.register(LintXdistControllerPlugin(), "agentcost-lint-xdist")


def _settings(config: pytest.Config) -> LintSettings:
    """The run's lint settings; on an xdist worker, the results path comes from the controller."""
    from pytest_agentcost.lint.files import ExcludeMatcher

    agentcost = agentcost_config(config)
    root = agentcost.source.parent if agentcost.source is not None else config.rootpath
    missing = [entry for entry in agentcost.lint_paths if not (root / entry).exists()]
    if missing:
        raise pytest.UsageError(
            f"pytest-agentcost: {agentcost.source}: [tool.agentcost].lint_paths names "
            f"{', '.join(repr(m) for m in missing)}, which does not exist under {root}. "
            "Fix the path or remove it from lint_paths."
        )
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is not None:
        shared = workerinput.get(_WORKERINPUT_KEY)
        results_path, owns = (Path(shared) if shared else None), False
    else:
        results_path, owns = Path(tempfile.mkdtemp(prefix="agentcost-lint-")) / "results.json", True
    return LintSettings(
        root=root,
        config=agentcost,
        invocation_dir=config.invocation_params.dir,
        results_path=results_path,
        owns_results_dir=owns,
        excluded=ExcludeMatcher(agentcost.exclude),
    )


class LintError(Exception):
    """A file's findings and errors, already formatted as `path:line:col: CODE message` lines."""


class LintFile(pytest.File):
    """A Python file checked by the lint; it holds a single `agentcost-lint` item."""

    def collect(self) -> Iterator[LintItem]:
        """Yield the file's lint item."""
        yield LintItem.from_parent(self, name=ITEM_NAME)


class LintItem(pytest.Item):
    """Fails when the run's analysis has findings or errors for this file."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_marker(MARKER)

    def runtest(self) -> None:
        """Look up this file's findings in the run's single analysis."""
        from pytest_agentcost.lint.files import relative_path

        settings = self.config.stash[SETTINGS_KEY]
        result = lint_result(self.config)
        entries = list(result.for_file(relative_path(self.path, settings.root)))
        if entries:
            lines = [_display(entry, settings).to_text() for entry in entries]
            raise LintError("\n".join(lines))

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        """The finding lines alone, without a Python traceback."""
        if isinstance(excinfo.value, LintError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, None, str]:
        """Shown in verbose output: `[agentcost-lint] path`."""
        from pytest_agentcost.lint.files import relative_path

        settings = self.config.stash[SETTINGS_KEY]
        return self.path, None, f"[{ITEM_NAME}] {relative_path(self.path, settings.invocation_dir)}"


def _display(entry: Finding | FileError, settings: LintSettings) -> Finding | FileError:
    """The entry with its path relative to the directory pytest was started in."""
    from pytest_agentcost.lint.files import relative_path

    return dataclasses.replace(
        entry, path=relative_path(settings.root / entry.path, settings.invocation_dir)
    )


class LintCollectionPlugin:
    """Collects lint items (on the controller without xdist, on each worker with it)."""

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> LintFile | None:
        """Add a lint item for every Python file pytest walks past, unless `exclude` names it."""
        from pytest_agentcost.lint.files import relative_path

        settings = parent.config.stash[SETTINGS_KEY]
        if file_path.suffix != ".py" or settings.excluded(relative_path(file_path, settings.root)):
            return None
        parent.config.stash.setdefault(SEEN_KEY, set()).add(file_path)
        lint_file: LintFile = LintFile.from_parent(parent, path=file_path)
        return lint_file

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Add the `lint_paths` files, put the lint items first (by node id), record the lint files.

        Runs before `-m`/`-k` deselection, so the analysis always sees every lint file, also the
        files `--lf` skips (they were walked past, so `pytest_collect_file` recorded them).
        """
        from pytest_agentcost.lint.files import discover

        settings = config.stash[SETTINGS_KEY]
        seen = {item.path for item in items if isinstance(item, LintItem)}
        # every lint item's file was walked past (`pytest_collect_file`), so this holds them all
        walked: set[Path] = config.stash.get(SEEN_KEY, set())
        files = set(walked)
        extra: list[pytest.Item] = []
        lint_paths = [settings.root / entry for entry in settings.config.lint_paths]
        for path in discover(lint_paths, root=settings.root, exclude=settings.config.exclude):
            files.add(path)  # (also when `--lf` then skips collecting it)
            if path not in seen:
                seen.add(path)
                extra.extend(session.genitems(LintFile.from_parent(session, path=path)))
        lint_items = sorted(
            [item for item in items if isinstance(item, LintItem)] + extra, key=_node_id
        )
        others = [item for item in items if not isinstance(item, LintItem)]
        items[:] = lint_items + others
        config.stash[FILES_KEY] = tuple(sorted(files))


def _node_id(item: pytest.Item) -> str:
    return item.nodeid


class LintControllerPlugin:
    """The terminal summary and the clean-up, on the controller only."""

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """One line: files checked and findings per rule, if the lint ran."""
        config = terminalreporter.config
        result = _known_result(config)
        if result is None:
            return
        from pytest_agentcost.lint.report import summary_line

        terminalreporter.write_sep("-", "agentcost lint")
        terminalreporter.write_line(summary_line(result))

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """Remove the run's results directory."""
        settings = config.stash.get(SETTINGS_KEY, None)
        if settings is not None and settings.owns_results_dir and settings.results_path is not None:
            shutil.rmtree(settings.results_path.parent, ignore_errors=True)


class LintXdistControllerPlugin:
    """Hands the shared results path to every pytest-xdist worker."""

    def pytest_configure_node(self, node: Any) -> None:
        """Tell the worker where the run's single analysis is (or will be) written."""
        settings = node.config.stash[SETTINGS_KEY]
        node.workerinput[_WORKERINPUT_KEY] = str(settings.results_path)


def lint_result(config: pytest.Config) -> LintResult:
    """The run's analysis: computed on first use, then shared (by JSON file across xdist workers)."""
    known = config.stash.get(OUTCOME_KEY, None)
    if known is not None:
        return known
    settings = config.stash[SETTINGS_KEY]
    files = config.stash[FILES_KEY]
    if settings.results_path is None:
        result = _analyse(config, files)
    else:
        from filelock import FileLock

        with FileLock(f"{settings.results_path}.lock"):
            shared = _load(settings.results_path)
            if shared is None:
                shared = _analyse(config, files)
                _dump(shared, settings.results_path)
        result = shared
    config.stash[OUTCOME_KEY] = result
    return result


def _known_result(config: pytest.Config) -> LintResult | None:
    """The analysis if this process or an xdist worker computed it, else None."""
    known = config.stash.get(OUTCOME_KEY, None)
    if known is not None:
        return known
    settings = config.stash.get(SETTINGS_KEY, None)
    if settings is None or settings.results_path is None:
        return None
    return _load(settings.results_path)


def _analyse(config: pytest.Config, files: tuple[Path, ...]) -> LintResult:
    """Run the engine over the run's lint files, with pytest's cache unless it is disabled."""
    from pytest_agentcost.lint import engine
    from pytest_agentcost.lint.cache import ExtractionCache

    settings = config.stash[SETTINGS_KEY]
    pytest_cache = getattr(config, "cache", None)  # absent under -p no:cacheprovider
    cache = None
    if pytest_cache is not None:
        try:
            cache = ExtractionCache(pytest_cache.mkdir("agentcost-lint"), settings.config)
        except OSError:
            pass  # a read-only checkout or a damaged .pytest_cache: the same results, uncached
    return engine.run_lint(list(files), settings.config, root=settings.root, cache=cache)


def _dump(result: LintResult, path: Path) -> None:
    """Write the results JSON atomically (readers never see half a file)."""
    from pytest_agentcost.atomic import write_atomically

    write_atomically(path, json.dumps({**result.to_json(), "files": list(result.files)}))


def _load(path: Path) -> LintResult | None:
    """The results JSON another process wrote, or None if there is none yet."""
    from pytest_agentcost.lint.model import FileError, Finding, LintResult

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return LintResult(
        findings=tuple(Finding(**finding) for finding in data["findings"]),
        errors=tuple(FileError(**error) for error in data["errors"]),
        files_checked=int(data["files_checked"]),
        files=tuple(data["files"]),
    )
