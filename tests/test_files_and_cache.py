"""File discovery, exclude globs, the extraction cache and the engine's pre-filter."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path

import pytest

from pytest_agentcost import __version__
from pytest_agentcost.config import Config
from pytest_agentcost.lint.cache import ExtractionCache
from pytest_agentcost.lint.engine import import_words, run_lint, select_relevant
from pytest_agentcost.lint.facts import FileFacts
from pytest_agentcost.lint.files import ExcludeMatcher, discover, relative_path
from pytest_agentcost.lint.model import FileError


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


def test_the_cache_returns_what_was_stored(tmp_path: Path) -> None:
    cache = ExtractionCache(tmp_path / "c", Config())
    key = cache.key(b"source", path="app/agent.py", module="app.agent", is_package=False)
    error = FileError("app/bad.py", 2, 5, "parser error")
    error_key = cache.key(b"bad(", path="app/bad.py", module="app.bad", is_package=False)
    cache.store(key, facts())
    cache.store(error_key, error)
    assert cache.load(key) == facts()
    assert cache.load(error_key) == error
    assert (cache.hits, cache.misses) == (2, 0)


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
    relevant = ExtractionCache(tmp_path, Config(required_metadata=("agent_type", "team")))
    unrelated = ExtractionCache(tmp_path, Config(select=("AC001",)))
    assert relevant.load(relevant.key(b"source", path="a.py", module="a", is_package=False)) is None
    assert unrelated.load(
        unrelated.key(b"source", path="a.py", module="a", is_package=False)
    ) == facts("a.py")


def test_the_plugin_version_is_part_of_the_cache_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ExtractionCache(tmp_path, Config())
    before = cache.key(b"source", path="a.py", module="a", is_package=False)
    monkeypatch.setattr("pytest_agentcost.lint.cache.__version__", __version__ + ".post1")
    assert cache.key(b"source", path="a.py", module="a", is_package=False) != before


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"{not json",
        b"[]",
        b'{"format": 1, "kind": "facts", "value": {"v": 999}}',
        b'{"format": 1, "kind": "facts", "value": {"v": 1}}',
        b'{"format": 1, "kind": "other", "value": {}}',
        b"\xff\xfe\x00",
    ],
)
def test_a_corrupt_cache_entry_is_a_miss_and_is_rebuilt(tmp_path: Path, damage: bytes) -> None:
    cache = ExtractionCache(tmp_path, Config())
    key = cache.key(b"source", path="a.py", module="a", is_package=False)
    cache.store(key, facts("a.py"))
    [entry] = [p for p in tmp_path.rglob("*.json")]
    entry.write_bytes(damage)
    assert cache.load(key) is None
    cache.store(key, facts("a.py"))
    assert cache.load(key) == facts("a.py")


def test_an_unwritable_cache_is_reported_and_never_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be")
    cache = ExtractionCache(blocker, Config())
    key = cache.key(b"source", path="a.py", module="a", is_package=False)
    cache.store(key, facts("a.py"))
    assert cache.write_problem is not None and str(blocker) in cache.write_problem
    assert cache.load(key) is None


def test_the_cache_directory_is_marked_as_a_cache_for_git_and_backup_tools(tmp_path: Path) -> None:
    cache = ExtractionCache(tmp_path / ".agentcost_cache", Config())
    cache.store(cache.key(b"s", path="a.py", module="a", is_package=False), facts("a.py"))
    assert (tmp_path / ".agentcost_cache" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (
        (tmp_path / ".agentcost_cache" / "CACHEDIR.TAG")
        .read_text()
        .startswith("Signature: 8a477f597d28d172789f06886806bc55")
    )


def test_concurrent_writers_never_leave_a_half_written_entry(tmp_path: Path) -> None:
    big = dataclasses.replace(
        facts("a.py"), suppressions=tuple((line, ("AC001",)) for line in range(1, 3000))
    )
    key = ExtractionCache(tmp_path, Config()).key(b"s", path="a.py", module="a", is_package=False)
    bad_reads: list[object] = []

    def writer() -> None:
        cache = ExtractionCache(tmp_path, Config())
        for _ in range(40):
            cache.store(key, big)

    def reader() -> None:
        cache = ExtractionCache(tmp_path, Config())
        for _ in range(200):
            result = cache.load(key)
            if result is not None and result != big:
                bad_reads.append(result)
        assert cache.hits + cache.misses == 200

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


def test_a_cache_entry_is_plain_json(tmp_path: Path) -> None:
    write(tmp_path, {"agent.py": AGENT})
    run_lint([tmp_path], Config(), root=tmp_path, cache=ExtractionCache(tmp_path / "c", Config()))
    [entry] = [p for p in (tmp_path / "c").rglob("*.json")]
    data = json.loads(entry.read_text())
    assert (data["kind"], data["value"]["path"]) == ("facts", "agent.py")


def test_extraction_in_a_process_pool_gives_the_same_results_as_in_process(tmp_path: Path) -> None:
    agents = {
        f"app/agent_{i:02d}.py": AGENT.replace("call_model", f"call_model_{i}") for i in range(60)
    }
    write(tmp_path, {**agents, "app/broken.py": "import langfuse\ndef broken(:\n"})
    pooled = run_lint([tmp_path], Config(), root=tmp_path, cache=None, jobs=2)
    serial = run_lint([tmp_path], Config(), root=tmp_path, cache=None, jobs=1)
    assert len(serial.findings) >= 60 and len(serial.errors) == 1
    assert pooled == serial
