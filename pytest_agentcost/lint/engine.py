"""One lint run: discover -> read -> pre-filter -> extract (cached) -> project-wide analysis.

This is what both the `agentcost lint` command and the pytest glue call. It never imports pytest.

The pre-filter keeps the cold run close to the cost of parsing only the files that matter:

1. a file is *relevant* when its bytes contain one of `relevance_tokens(config)` (such as
   `langfuse` or `observe`);
2. a file is also relevant when one of its import statements names a relevant module (its last
   dotted part, which also covers the full dotted name), repeated until nothing new is added, so
   plain helpers that import relevant modules are analysed as well.

Files that are not relevant are counted as checked but never parsed. Only per-file extraction is
cached; `analyze` runs over all relevant files every time, because a change in one module can
change the findings in another.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from pytest_agentcost.config import Config
from pytest_agentcost.lint.cache import ExtractionCache
from pytest_agentcost.lint.extract import extract_file, relevance_tokens
from pytest_agentcost.lint.facts import FileFacts
from pytest_agentcost.lint.files import discover, relative_path
from pytest_agentcost.lint.imports import module_name_for
from pytest_agentcost.lint.model import FileError, LintResult
from pytest_agentcost.lint.project import analyze

__all__ = ["import_words", "run_lint", "select_relevant"]

#: Files to extract before a process pool is worth its start-up (about 0.3 s per process).
PARALLEL_THRESHOLD = 48
MAX_JOBS = 8

_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


def run_lint(
    paths: Sequence[Path],
    config: Config,
    *,
    root: Path,
    cache: ExtractionCache | None,
    jobs: int = 1,
) -> LintResult:
    """Lint the Python files under `paths`; finding and error paths are relative to `root`.

    `jobs` > 1 extracts uncached files in that many spawned processes (at most `MAX_JOBS`) once
    `PARALLEL_THRESHOLD` files need it. Spawned children import the caller's main module, so a
    script that passes `jobs` > 1 needs the usual `if __name__ == "__main__":` guard.
    """
    root = Path(os.path.abspath(root))
    files = discover(paths, root=root, exclude=config.exclude)
    absolute: dict[str, Path] = {relative_path(path, root): path for path in files}

    sources: dict[str, bytes] = {}
    errors: list[FileError] = []
    for relpath, path in absolute.items():
        try:
            sources[relpath] = path.read_bytes()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            errors.append(FileError(relpath, 1, 1, f"cannot read the file: {reason}"))

    modules: dict[str, tuple[str, bool]] = {}

    def module_of(relpath: str) -> tuple[str, bool]:
        if relpath not in modules:
            modules[relpath] = module_name_for(absolute[relpath], root)
        return modules[relpath]

    relevant = select_relevant(sources, relevance_tokens(config), lambda p: module_of(p)[0])

    # Answer what the cache can, extract the rest (possibly in parallel), then store it.
    results: dict[str, FileFacts | FileError] = {}
    keys: dict[str, str] = {}
    todo: list[_Job] = []
    for relpath in relevant:
        module, is_package = module_of(relpath)
        if cache is not None:
            keys[relpath] = cache.key(
                sources[relpath], path=relpath, module=module, is_package=is_package
            )
            cached = cache.load(keys[relpath])
            if cached is not None:
                results[relpath] = cached
                continue
        todo.append(_Job(sources[relpath], relpath, module, is_package, config))
    for job, result in zip(todo, _extract_all(todo, jobs), strict=True):
        results[job.path] = result
        if cache is not None:
            cache.store(keys[job.path], result)

    facts: dict[str, FileFacts] = {}
    for relpath in relevant:
        result = results[relpath]
        if isinstance(result, FileError):
            errors.append(result)
        else:
            facts[relpath] = result

    enabled = set(config.enabled_rules())
    findings = [finding for finding in analyze(facts, config) if finding.code in enabled]
    return LintResult(
        findings=tuple(sorted(set(findings))),
        errors=tuple(sorted(set(errors))),
        files_checked=len(absolute),
        files=tuple(absolute),
    )


@dataclass(frozen=True)
class _Job:
    """The inputs of one `extract_file` call (picklable, for the process pool)."""

    source: bytes
    path: str
    module: str
    is_package: bool
    config: Config


def _extract_one(job: _Job) -> FileFacts | FileError:
    return extract_file(
        job.source, path=job.path, module=job.module, is_package=job.is_package, config=job.config
    )


def _extract_all(todo: list[_Job], jobs: int) -> list[FileFacts | FileError]:
    """Extract every job, in a pool of fresh (spawned) processes when there is enough work.

    Spawned rather than forked, because the caller may be a threaded process (a pytest-xdist
    worker). If the pool cannot start or breaks, the work is done here instead.
    """
    workers = max(1, min(jobs, MAX_JOBS, len(todo) // (PARALLEL_THRESHOLD // 2)))
    if workers < 2 or len(todo) < PARALLEL_THRESHOLD:
        return [_extract_one(job) for job in todo]
    chunksize = max(1, len(todo) // (workers * 4))
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            return list(pool.map(_extract_one, todo, chunksize=chunksize))
    except (OSError, BrokenProcessPool):
        return [_extract_one(job) for job in todo]


def select_relevant(
    sources: Mapping[str, bytes],
    tokens: Iterable[bytes],
    module_name: Callable[[str], str],
) -> list[str]:
    """The files that may involve Langfuse: those containing a token, closed over imports.

    `module_name` maps a relative path to its dotted module name. Returns relative paths in the
    order of `sources`.
    """
    tokens = tuple(token for token in tokens if token)
    relevant = {path for path, source in sources.items() if any(t in source for t in tokens)}
    pending = [path for path in sources if path not in relevant]
    words: dict[str, frozenset[bytes]] = {}
    frontier = set(relevant)
    while frontier and pending:
        names = {_last_part(module_name(path)) for path in frontier} - {b""}
        frontier = set()
        for path in pending:
            if path not in words:
                words[path] = import_words(sources[path])
            if not names.isdisjoint(words[path]):
                frontier.add(path)
        relevant |= frontier
        pending = [path for path in pending if path not in frontier]
    return [path for path in sources if path in relevant]


def _last_part(module: str) -> bytes:
    return module.rpartition(".")[2].encode("ascii", "ignore")


def import_words(source: bytes) -> frozenset[bytes]:
    """The identifiers in a file's import statements (and any other line that says `import`).

    Cheap and deliberately generous: it finds each `import`, takes its whole line, extends it over
    a parenthesised name list or backslash continuations, and collects every identifier there.
    """
    words: set[bytes] = set()
    position = source.find(b"import")
    while position != -1:
        start = source.rfind(b"\n", 0, position) + 1
        end = _line_end(source, position)
        opening = source.find(b"(", position, end)
        if opening != -1 and source.find(b")", opening, end) == -1:
            closing = source.find(b")", end)
            end = len(source) if closing == -1 else _line_end(source, closing)
        while source[start:end].rstrip(b"\r").endswith(b"\\") and end < len(source):
            end = _line_end(source, end + 1)
        words.update(_WORD.findall(source, start, end))
        position = source.find(b"import", max(end, position + 1))
    return frozenset(words)


def _line_end(source: bytes, position: int) -> int:
    end = source.find(b"\n", position)
    return len(source) if end == -1 else end
