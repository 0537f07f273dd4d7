"""File discovery, exclude globs, the extraction cache and the engine's pre-filter."""

from __future__ import annotations

import dataclasses
import gc
import os
import pickle
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_agentcost import __version__
from pytest_agentcost.config import Config
from pytest_agentcost.lint import cache as cache_module
from pytest_agentcost.lint.cache import ExtractionCache
from pytest_agentcost.lint.engine import import_words, run_lint, select_relevant
from pytest_agentcost.lint.facts import FACTS_VERSION, FileFacts
from pytest_agentcost.lint.files import ExcludeMatcher, discover, relative_path
from pytest_agentcost.lint.model import FileError, LintResult


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def found(
    root: Path, *, exclude: tuple[str, ...] = (), paths: list[Path] | None = None
) -> list[str]:
    return [relative_path(p, root) for p in discover(paths or [root], root=root, exclude=exclude)]


# --- discovery ------------------------------------------------------------------------------


def test_discovery_skips_hidden_directories_caches_virtualenvs_and_build_output(
    tmp_path: Path,
) -> None:
    skipped = [
        ".git",
        ".hidden",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        "node_modules",
        "build",
        "dist",
        "lib/site-packages",
    ]
    write(tmp_path, {f"{name}/mod.py": "x = 1\n" for name in skipped})
    write(tmp_path, {"pkg/mod.py": "x = 1\n", "top.py": "x = 1\n", "notes.txt": "observe\n"})
    assert found(tmp_path) == ["pkg/mod.py", "top.py"]


def test_discovery_is_sorted_and_lists_each_file_once(tmp_path: Path) -> None:
    write(tmp_path, {"b/z.py": "", "b/a.py": "", "a.py": ""})
    paths = [tmp_path / "b", tmp_path, tmp_path / "b" / "a.py"]
    assert found(tmp_path, paths=paths) == ["a.py", "b/a.py", "b/z.py"]


def test_an_explicitly_named_file_is_checked_even_inside_a_skipped_directory(
    tmp_path: Path,
) -> None:
    write(tmp_path, {"build/gen.py": ""})
    assert found(tmp_path, paths=[tmp_path / "build" / "gen.py"]) == ["build/gen.py"]


def test_an_explicitly_named_file_is_still_excluded_by_exclude(tmp_path: Path) -> None:
    write(tmp_path, {"gen/x_pb2.py": ""})
    assert found(tmp_path, paths=[tmp_path / "gen" / "x_pb2.py"], exclude=("*_pb2.py",)) == []


@pytest.mark.parametrize(
    ("pattern", "excluded", "kept"),
    [
        (
            "src/legacy",
            ["src/legacy/a.py", "src/legacy/deep/b.py"],
            ["src/app.py", "src/legacy_x.py"],
        ),
        ("src/legacy/", ["src/legacy/a.py"], ["src/app.py"]),
        ("*_pb2.py", ["x_pb2.py", "src/deep/y_pb2.py"], ["src/app.py"]),
        ("migrations", ["migrations/m.py", "src/db/migrations/0001.py"], ["src/app.py"]),
        (
            "src/**/test_*.py",
            ["src/test_a.py", "src/x/y/test_b.py"],
            ["tests/test_c.py", "src/app.py"],
        ),
        ("**/generated/*.py", ["generated/a.py", "src/generated/b.py"], ["src/generated_x.py"]),
        ("src/*.py", ["src/app.py"], ["src/sub/app.py"]),
        ("src/ap?.py", ["src/app.py"], ["src/apps.py"]),
        ("src/[ab].py", ["src/a.py", "src/b.py"], ["src/c.py"]),
        ("./src/app.py", ["src/app.py"], ["src/apps.py"]),
    ],
)
def test_exclude_globs_match_paths_relative_to_the_root(
    pattern: str, excluded: list[str], kept: list[str]
) -> None:
    matcher = ExcludeMatcher((pattern,))
    assert [path for path in excluded if not matcher(path)] == []
    assert [path for path in kept if matcher(path)] == []


def test_discovery_prunes_excluded_directories(tmp_path: Path) -> None:
    write(tmp_path, {"src/legacy/a.py": "", "src/app.py": "", "src/legacy_keep.py": ""})
    assert found(tmp_path, exclude=("src/legacy",)) == ["src/app.py", "src/legacy_keep.py"]


# --- the extraction cache ---------------------------------------------------------------------


def facts(path: str = "app/agent.py") -> FileFacts:
    return FileFacts(
        path=path,
        module=path.removesuffix(".py").replace("/", "."),
        is_package=False,
        suppressions=((3, ("AC001",)),),
    )


def test_the_cache_returns_what_was_stored_after_it_is_saved(tmp_path: Path) -> None:
    cache = ExtractionCache(tmp_path / "c", Config())
    key = cache.key(b"source", path="app/agent.py", module="app.agent", is_package=False)
    error = FileError("app/bad.py", 2, 5, "parser error")
    error_key = cache.key(b"bad(", path="app/bad.py", module="app.bad", is_package=False)
    cache.store(key, facts())
    cache.store(error_key, error)
    cache.save()
    reopened = ExtractionCache(tmp_path / "c", Config())
    assert reopened.load(key) == facts()
    assert reopened.load(error_key) == error
    assert (reopened.hits, reopened.misses) == (2, 0)


@pytest.mark.parametrize(
    "change",
    [
        {"source": b"source changed"},
        {"path": "app/other.py"},
        {"module": "other.agent"},
        {"is_package": True},
    ],
)
def test_the_cache_misses_when_any_extraction_input_changes(
    tmp_path: Path, change: dict[str, object]
) -> None:
    cache = ExtractionCache(tmp_path, Config())
    inputs: dict[str, object] = {
        "source": b"source",
        "path": "app/agent.py",
        "module": "app.agent",
        "is_package": False,
    }
    cache.store(cache.key(**inputs), facts())  # type: ignore[arg-type]
    assert cache.load(cache.key(**{**inputs, **change})) is None  # type: ignore[arg-type]


def test_a_lint_config_change_misses_and_an_unrelated_config_change_hits(tmp_path: Path) -> None:
    original = ExtractionCache(tmp_path, Config())
    key = original.key(b"source", path="a.py", module="a", is_package=False)
    original.store(key, facts("a.py"))
    original.save()
    relevant = ExtractionCache(tmp_path, Config(required_metadata=("agent_type", "team")))
    unrelated = ExtractionCache(tmp_path, Config(select=("AC001",)))
    assert relevant.load(relevant.key(b"source", path="a.py", module="a", is_package=False)) is None
    assert unrelated.load(
        unrelated.key(b"source", path="a.py", module="a", is_package=False)
    ) == facts("a.py")


def test_the_plugin_version_and_facts_version_are_part_of_the_cache_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = ExtractionCache(tmp_path, Config()).key(
        b"s", path="a.py", module="a", is_package=False
    )
    monkeypatch.setattr("pytest_agentcost.lint.cache.__version__", __version__ + ".post1")
    upgraded = ExtractionCache(tmp_path, Config())
    monkeypatch.undo()
    monkeypatch.setattr("pytest_agentcost.lint.cache.FACTS_VERSION", FACTS_VERSION + 1)
    reshaped = ExtractionCache(tmp_path, Config())
    keys = {
        cache.key(b"s", path="a.py", module="a", is_package=False) for cache in (upgraded, reshaped)
    }
    assert before not in keys and len(keys) == 2


def saved_pack(directory: Path) -> Path:
    cache = ExtractionCache(directory, Config())
    cache.store(cache.key(b"source", path="a.py", module="a", is_package=False), facts("a.py"))
    cache.save()
    return cache.pack_path


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: b"\xff\xfe\x00 not a pickle", id="garbage"),
        pytest.param(lambda data: pickle.dumps(["a", "list"]), id="wrong-shape"),
        pytest.param(lambda data: pickle.dumps(((0,), {}, {})), id="other-header"),
        pytest.param(lambda data: pickle.dumps(print), id="foreign-callable"),
        pytest.param(
            lambda data: b"cpytest_agentcost.lint.facts\nFileFacts.__class__\n.", id="dotted-name"
        ),
    ],
)
def test_a_corrupt_pack_is_ignored_and_rebuilt(
    tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    pack = saved_pack(tmp_path)
    pack.write_bytes(damage(pack.read_bytes()))
    cache = ExtractionCache(tmp_path, Config())
    key = cache.key(b"source", path="a.py", module="a", is_package=False)
    assert cache.load(key) is None
    cache.store(key, facts("a.py"))
    cache.save()
    assert ExtractionCache(tmp_path, Config()).load(key) == facts("a.py")


def test_a_pack_naming_a_class_outside_the_lint_data_is_never_unpickled(tmp_path: Path) -> None:
    pack = saved_pack(tmp_path)
    # a pickle that would call os.getcwd() if it were unpickled without restriction
    header = ExtractionCache(tmp_path, Config())._header
    pack.write_bytes(pickle.dumps((header, {}, {"k": _CallsGetcwd()})))
    cache = ExtractionCache(tmp_path, Config())
    assert cache.load("k") is None


class _CallsGetcwd:
    def __reduce__(self) -> tuple[object, tuple[()]]:
        return (os.getcwd, ())


def test_an_unwritable_cache_is_reported_and_never_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be")
    cache = ExtractionCache(blocker, Config())
    key = cache.key(b"source", path="a.py", module="a", is_package=False)
    cache.store(key, facts("a.py"))
    cache.save()
    assert cache.write_problem is not None and str(blocker) in cache.write_problem
    assert ExtractionCache(blocker, Config()).load(key) is None


def test_the_cache_directory_is_marked_as_a_cache_for_git_and_backup_tools(tmp_path: Path) -> None:
    saved_pack(tmp_path / ".agentcost_cache")
    assert (tmp_path / ".agentcost_cache" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (
        (tmp_path / ".agentcost_cache" / "CACHEDIR.TAG")
        .read_text()
        .startswith("Signature: 8a477f597d28d172789f06886806bc55")
    )


def test_concurrent_writers_never_leave_a_half_written_pack(tmp_path: Path) -> None:
    big = dataclasses.replace(
        facts("a.py"), suppressions=tuple((line, ("AC001",)) for line in range(1, 3000))
    )
    key = ExtractionCache(tmp_path, Config()).key(b"s", path="a.py", module="a", is_package=False)
    bad_reads: list[object] = []

    def writer() -> None:
        for _ in range(40):
            cache = ExtractionCache(tmp_path, Config())
            cache.store(key, big)
            cache.save()

    def reader() -> None:
        for _ in range(200):
            result = ExtractionCache(tmp_path, Config()).load(key)
            if result is not None and result != big:
                bad_reads.append(result)

    threads = [threading.Thread(target=writer) for _ in range(3)] + [
        threading.Thread(target=reader)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert bad_reads == []
    assert ExtractionCache(tmp_path, Config()).load(key) == big
    assert [p.name for p in tmp_path.rglob(".tmp-*")] == []


# --- the pre-filter ---------------------------------------------------------------------------


def test_import_words_cover_parenthesised_and_continued_imports() -> None:
    source = (
        b"import os\n"
        b"from app.core import (\n    tracing,\n    other as o,\n)\n"
        b"from pkg import a, \\\n    b\n"
        b"x = observe_nothing\n"
    )
    words = import_words(source)
    assert {b"os", b"app", b"core", b"tracing", b"other", b"o", b"pkg", b"a", b"b"} <= words
    assert b"observe_nothing" not in words and b"x" not in words


def test_import_words_of_a_file_without_imports_are_empty() -> None:
    assert import_words(b"def f():\n    return 1\n") == frozenset()


MODULES = {
    "app/tracing.py": "app.tracing",
    "app/agent.py": "app.agent",
    "app/helper.py": "app.helper",
    "app/runner.py": "app.runner",
    "app/plain.py": "app.plain",
    "app/mentions.py": "app.mentions",
}


def test_the_pre_filter_closes_over_modules_that_import_relevant_modules() -> None:
    sources = {
        "app/tracing.py": b"from langfuse import observe\n",
        "app/agent.py": b"from app.tracing import observe\n",  # relevant by itself (token)
        "app/helper.py": b"from app import tracing\n\ndef go():\n    tracing.x()\n",  # imports tracing
        "app/runner.py": b"from .helper import go\n\ngo()\n",  # imports helper: reached at the fixpoint
        "app/plain.py": b"import os\n\ndef f():\n    return os.sep\n",
        "app/mentions.py": b"# the helper module is nice\nhelper = 1\n",  # a mention outside any import
    }
    relevant = select_relevant(sources, (b"langfuse", b"observe"), MODULES.__getitem__)
    assert relevant == ["app/tracing.py", "app/agent.py", "app/helper.py", "app/runner.py"]


def test_the_pre_filter_keeps_nothing_when_no_file_mentions_a_token() -> None:
    sources = {"app/plain.py": b"import os\n", "app/helper.py": b"from app import plain\n"}
    assert select_relevant(sources, (b"langfuse", b"observe"), MODULES.__getitem__) == []


# --- the engine -------------------------------------------------------------------------------

DISPATCH = {
    "app/__init__.py": "",
    "app/agents.py": """\
from langfuse import observe, propagate_attributes
from app import runner
class Agent:
    @observe()
    def run(self):
        return 1
@observe()
def main():
    with propagate_attributes(session_id="s"):
        return runner.drive(Agent())
""",
    # no Langfuse name and no import of an instrumented module: it calls the method by name
    "app/runner.py": "def drive(agent):\n    return agent.run()\n",
    "app/unrelated.py": "def go(thing):\n    return thing.run()\n",  # imported by nobody
}


@pytest.mark.parametrize("cached", [False, True], ids=["cold", "warm"])
def test_a_module_calling_an_observed_method_by_name_is_analysed(
    tmp_path: Path, cached: bool
) -> None:
    write(tmp_path / "p", DISPATCH)
    cache = ExtractionCache(tmp_path / "cache", Config())
    if cached:
        run_lint([tmp_path / "p"], Config(), root=tmp_path / "p", cache=cache, jobs=1)
    result = run_lint([tmp_path / "p"], Config(), root=tmp_path / "p", cache=cache, jobs=1)
    assert result.findings == ()  # Agent.run is reached from main() through runner.drive
    assert result.files_checked == 4


AGENT = """\
from langfuse import observe


@observe(as_type="generation")
def call_model(prompt):
    return prompt
"""


def test_an_unreadable_file_is_a_file_error_and_the_other_files_are_still_checked(
    tmp_path: Path,
) -> None:
    write(tmp_path, {"agent.py": AGENT})
    (tmp_path / "dangling.py").symlink_to(tmp_path / "missing-target.py")
    result = run_lint([tmp_path], Config(), root=tmp_path, cache=None)
    assert [(e.path, e.message) for e in result.errors] == [
        ("dangling.py", "cannot read the file: No such file or directory")
    ]
    assert {f.path for f in result.findings} == {"agent.py"}
    assert result.files_checked == 2


def test_a_warm_cache_gives_identical_results_and_skips_extraction(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/agent.py": AGENT,
            "app/plain.py": "x = 1\n",
            "app/broken.py": "import langfuse\ndef broken(:\n",
        },
    )
    cold_cache = ExtractionCache(tmp_path / "cache", Config())
    cold = run_lint([tmp_path / "app"], Config(), root=tmp_path, cache=cold_cache)
    warm_cache = ExtractionCache(tmp_path / "cache", Config())
    warm = run_lint([tmp_path / "app"], Config(), root=tmp_path, cache=warm_cache)
    uncached = run_lint([tmp_path / "app"], Config(), root=tmp_path, cache=None)
    assert cold.findings and cold.errors
    assert warm == cold == uncached
    assert (cold_cache.hits, cold_cache.misses) == (0, 2)  # agent.py and broken.py mention langfuse
    assert (warm_cache.hits, warm_cache.misses) == (2, 0)


def test_a_changed_file_is_extracted_again_and_its_new_findings_are_reported(
    tmp_path: Path,
) -> None:
    write(tmp_path, {"agent.py": AGENT})
    run_lint([tmp_path], Config(), root=tmp_path, cache=ExtractionCache(tmp_path / "c", Config()))
    (tmp_path / "agent.py").write_text("import langfuse\n\nCLIENT = langfuse.Langfuse\n")
    cache = ExtractionCache(tmp_path / "c", Config())
    result = run_lint([tmp_path], Config(), root=tmp_path, cache=cache)
    assert result.findings == ()
    assert cache.misses == 1


def test_rules_left_out_by_select_and_ignore_are_not_reported(tmp_path: Path) -> None:
    write(tmp_path, {"agent.py": AGENT})
    everything = run_lint([tmp_path], Config(), root=tmp_path, cache=None)
    only_ac002 = run_lint([tmp_path], Config(ignore=("AC001",)), root=tmp_path, cache=None)
    assert "AC001" in {f.code for f in everything.findings}
    assert only_ac002.findings == tuple(f for f in everything.findings if f.code != "AC001")


def test_excluded_files_are_neither_checked_nor_counted(tmp_path: Path) -> None:
    write(tmp_path, {"agent.py": AGENT, "legacy/old_agent.py": AGENT})
    result = run_lint([tmp_path], Config(exclude=("legacy",)), root=tmp_path, cache=None)
    assert result.files == ("agent.py",)
    assert {f.path for f in result.findings} == {"agent.py"}


def lint_cached(root: Path, config: Config | None = None) -> tuple[LintResult, ExtractionCache]:
    cache = ExtractionCache(root / "c", config or Config())
    return run_lint([root / "app"], config or Config(), root=root, cache=cache), cache


def count_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Record every `Path.read_bytes` from now on."""
    reads: list[Path] = []
    original = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        reads.append(path)
        return original(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    return reads


def test_a_warm_run_over_files_changed_long_ago_reads_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        cache_module, "RACY_WINDOW_NS", 0
    )  # files written before the run count as old
    write(tmp_path, {"app/__init__.py": "", "app/agent.py": AGENT, "app/plain.py": "x = 1\n"})
    cold, _ = lint_cached(tmp_path)
    reads = count_reads(monkeypatch)
    warm, cache = lint_cached(tmp_path)
    assert warm == cold and cold.findings
    assert (cache.hits, cache.misses) == (1, 0)
    assert reads == [cache.pack_path]


def test_a_file_rewritten_just_after_a_run_with_its_size_and_mtime_restored_is_read_again(
    tmp_path: Path,
) -> None:
    write(tmp_path, {"app/agent.py": AGENT})
    agent = tmp_path / "app" / "agent.py"
    before = agent.stat()
    cold, _ = lint_cached(tmp_path)
    agent.write_text(AGENT.replace("def call_model(", "def call_other("), encoding="utf-8")
    os.utime(agent, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert agent.stat().st_size == before.st_size
    warm, cache = lint_cached(tmp_path)
    assert [f.symbol for f in cold.findings] != [f.symbol for f in warm.findings]
    assert warm == run_lint([tmp_path / "app"], Config(), root=tmp_path, cache=None)
    assert cache.misses == 1


def test_a_rewritten_old_file_with_its_size_and_mtime_restored_is_caught_by_its_ctime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "RACY_WINDOW_NS", 0)  # trust every record: only stat decides
    write(tmp_path, {"app/agent.py": AGENT})
    agent = tmp_path / "app" / "agent.py"
    before = agent.stat()
    cold, _ = lint_cached(tmp_path)
    agent.write_text(AGENT.replace("def call_model(", "def call_other("), encoding="utf-8")
    os.utime(agent, ns=(before.st_atime_ns, before.st_mtime_ns))
    warm, cache = lint_cached(tmp_path)
    assert warm == run_lint([tmp_path / "app"], Config(), root=tmp_path, cache=None) != cold
    assert cache.misses == 1


def test_a_lint_config_change_extracts_every_relevant_file_again(tmp_path: Path) -> None:
    write(tmp_path, {"app/agent.py": AGENT, "app/other.py": AGENT})
    lint_cached(tmp_path)
    _, same = lint_cached(tmp_path)
    _, changed = lint_cached(tmp_path, Config(required_metadata=("agent_type", "team")))
    assert (same.hits, same.misses) == (2, 0)
    assert (changed.hits, changed.misses) == (0, 2)


def test_a_corrupt_pack_gives_the_same_results_and_is_rebuilt_by_the_next_run(
    tmp_path: Path,
) -> None:
    write(tmp_path, {"app/agent.py": AGENT})
    cold, cache = lint_cached(tmp_path)
    cache.pack_path.write_bytes(b"\x80\x05 damaged")
    rebuilt, rebuilding = lint_cached(tmp_path)
    warm, reused = lint_cached(tmp_path)
    assert cold == rebuilt == warm
    assert (rebuilding.misses, reused.hits) == (1, 1)


def test_the_pack_keeps_one_entry_per_file_as_it_changes(tmp_path: Path) -> None:
    write(tmp_path, {"app/agent.py": AGENT})
    _, first = lint_cached(tmp_path)
    (tmp_path / "app" / "agent.py").write_text(AGENT + "\n# changed\n", encoding="utf-8")
    lint_cached(tmp_path)
    old_key = first.key(AGENT.encode(), path="app/agent.py", module="agent", is_package=False)
    assert first.load(old_key) is not None  # the first run stored it ...
    assert (
        ExtractionCache(tmp_path / "c", Config()).load(old_key) is None
    )  # ... the second dropped it


@pytest.mark.parametrize("enabled", [True, False])
def test_a_lint_run_leaves_the_garbage_collector_as_it_found_it(
    tmp_path: Path, enabled: bool
) -> None:
    write(tmp_path, {"agent.py": AGENT, "broken.py": "import langfuse\ndef broken(:\n"})
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        result = run_lint([tmp_path], Config(), root=tmp_path, cache=None)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
    assert result.findings and result.errors
