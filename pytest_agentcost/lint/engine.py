"""One lint run: discover -> read -> pre-filter -> extract (cached) -> project-wide analysis.

This is what both the `agentcost lint` command and the pytest glue call. It never imports pytest.

The pre-filter keeps the cold run close to the cost of parsing only the files that matter:

1. a file is *relevant* when its bytes contain one of `relevance_tokens(config)` (such as
   `langfuse` or `observe`);
2. a file is also relevant when one of its import statements names a relevant module (its last
   dotted part, which also covers the full dotted name), repeated until nothing new is added, so
   plain helpers that import relevant modules are analysed as well;
3. once those are extracted, a module a relevant one imports is relevant too when it calls a
   decorated method by name (`agent.run()`): see `_dispatchers`.

Files that are not relevant are counted as checked but never parsed; their bytes are still
checked for what can never be Python text (`source_bytes.byte_problem`). Only per-file extraction is
cached; `analyze` runs over all relevant files every time, because a change in one module can
change the findings in another.

With a cache, a file whose stat matches the cache's stat index is not even read: its token verdict,
import words and content hash come from the index (see `cache.py`). The whole cache is one pack
file, loaded once and written once per run.
"""

from __future__ import annotations

import errno
import gc
import multiprocessing
import os
import re
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pytest_agentcost.config import Config, Jobs
from pytest_agentcost.lint.cache import ExtractionCache, content_digest
from pytest_agentcost.lint.extract import extract_file, preload, relevance_tokens
from pytest_agentcost.lint.facts import FileFacts
from pytest_agentcost.lint.files import discover_paths, relative_path
from pytest_agentcost.lint.imports import module_name_for
from pytest_agentcost.lint.model import FileError, LintResult
from pytest_agentcost.lint.project import analyze
from pytest_agentcost.lint.source_bytes import byte_problem

__all__ = ["Jobs", "import_words", "run_lint", "select_relevant"]

#: Files each process must get before a pool is worth starting: a forked process starts in a few
#: milliseconds, a spawned one imports libcst afresh (about 0.3 s of CPU).
FILES_PER_FORKED_PROCESS = 24
FILES_PER_SPAWNED_PROCESS = 96
MAX_JOBS = 8

_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


def run_lint(
    paths: Sequence[Path],
    config: Config,
    *,
    root: Path,
    cache: ExtractionCache | None,
    jobs: Jobs | None = None,
) -> LintResult:
    """Lint the Python files under `paths`; finding and error paths are relative to `root`.

    `jobs` (default: `config.jobs`, itself "auto" by default) is how many processes may extract
    uncached files; "auto" means one per available CPU. See `worker_count` for when a pool
    starts at all. Where processes are spawned rather than forked, children import the caller's
    main module, so a script that lints in parallel needs the usual `if __name__ == "__main__":`
    guard.
    """
    with _without_cyclic_gc():
        return _run_lint(
            paths, config, root=root, cache=cache, jobs=config.jobs if jobs is None else jobs
        )


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for the run (reference counting still frees everything).

    Parse trees and facts hold no reference cycles, but a cold run allocates millions of objects
    while keeping many alive, and the collector's repeated full passes over them cost about a
    tenth of the run. What the run keeps (the cache's entries, the result) would then all be
    traversed by the first young collection after it (0.04-0.06 s for 70,000 objects); instead
    they are moved straight to the oldest generation (`gc.freeze` + `gc.unfreeze`, which only
    relinks lists), unless the process froze objects itself, which unfreezing would undo.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if collecting:
            gc.enable()


def _run_lint(
    paths: Sequence[Path],
    config: Config,
    *,
    root: Path,
    cache: ExtractionCache | None,
    jobs: Jobs,
) -> LintResult:
    started_ns = time.time_ns()
    root = Path(os.path.abspath(root))
    files = discover_paths(paths, root=root, exclude=config.exclude)
    absolute: dict[str, str] = {relative_path(path, root): path for path in files}
    inputs = _Inputs(absolute, relevance_tokens(config), cache)
    module_of = _ModuleNames(absolute, root)
    relevant = _close_over_imports(
        inputs.has_token, inputs.words_of, lambda path: module_of(path)[0]
    )
    results: dict[str, FileFacts | FileError] = {}

    def extract(relpaths: Iterable[str]) -> None:
        """Answer what the cache can, extract the rest (possibly in parallel), store it."""
        keys: dict[str, str] = {}
        todo: list[_Job] = []
        for relpath in relpaths:
            module, is_package = module_of(relpath)
            if cache is not None:
                digest = inputs.digest_of(relpath)
                if digest is None:
                    continue  # the file vanished since it was stat'ed: already an error
                keys[relpath] = cache.key_for_digest(
                    digest, path=relpath, module=module, is_package=is_package
                )
                cached = cache.load(keys[relpath])
                if cached is not None:
                    results[relpath] = cached
                    continue
            source = inputs.read(relpath)
            if source is not None:
                todo.append(_Job(source, relpath, module, is_package, config))
        for job, result in zip(todo, _extract_all(todo, jobs), strict=True):
            results[job.path] = result
            if cache is not None:
                cache.store(keys[job.path], result)

    extract(relevant)
    dispatchers = _dispatchers(relevant, results, inputs, lambda path: module_of(path)[0])
    if dispatchers:
        extract(dispatchers)
        relevant = [path for path in absolute if path in {*relevant, *dispatchers}]
    inputs.check_unparsed(relevant)
    if cache is not None:
        inputs.remember(cache, started_ns)
        cache.save()

    errors = list(inputs.errors)
    facts: dict[str, FileFacts] = {}
    for relpath in relevant:
        outcome = results.get(relpath)
        if isinstance(outcome, FileError):
            errors.append(outcome)
        elif outcome is not None:
            facts[relpath] = outcome

    enabled = set(config.enabled_rules())
    findings = [finding for finding in analyze(facts, config) if finding.code in enabled]
    return LintResult(
        findings=tuple(sorted(set(findings))),
        errors=tuple(sorted(set(errors))),
        files_checked=len(absolute),
        files=tuple(absolute),
    )


class _Inputs:
    """What the run knows of each file's bytes: read from disk, or from the cache's stat index.

    Without a cache every file is read. With one, a file whose stat matches a trusted record is
    not read at all unless its source is needed (a cache miss, or a record made before its import
    words or content hash were known).
    """

    def __init__(
        self, absolute: Mapping[str, str], tokens: Iterable[bytes], cache: ExtractionCache | None
    ) -> None:
        self.absolute = absolute
        self.errors: list[FileError] = []
        #: Whether each readable file contains a relevance token, in discovery order.
        self.has_token: dict[str, bool] = {}
        self._sources: dict[str, bytes] = {}
        self._stats: dict[str, os.stat_result] = {}
        self._words: dict[str, frozenset[bytes]] = {}
        self._digests: dict[str, str] = {}
        self._learnt: set[str] = set()  # files whose cache record must be (re)written
        tokens = tuple(token for token in tokens if token)
        for relpath, path in absolute.items():
            if cache is not None:
                try:
                    stat = os.stat(path)
                except OSError as exc:
                    self._unreadable(relpath, exc)
                    continue
                self._stats[relpath] = stat
                record = cache.record(str(path), stat)
                if record is not None:
                    self.has_token[relpath] = record.has_token
                    if record.words is not None:
                        self._words[relpath] = record.words
                    if record.digest is not None:
                        self._digests[relpath] = record.digest
                    continue
                self._learnt.add(relpath)
            source = self.read(relpath)
            if source is not None:
                self.has_token[relpath] = any(token in source for token in tokens)

    def read(self, relpath: str) -> bytes | None:
        """The file's bytes (read once), or None after recording why it cannot be read."""
        source = self._sources.get(relpath)
        if source is None:
            try:
                source = self._sources[relpath] = _read_bytes(self.absolute[relpath])
            except OSError as exc:
                self._unreadable(relpath, exc)
        return source

    def words_of(self, relpath: str) -> frozenset[bytes]:
        """`import_words` of the file (nothing for a file that cannot be read)."""
        words = self._words.get(relpath)
        if words is None:
            source = self.read(relpath)
            words = self._words[relpath] = frozenset() if source is None else import_words(source)
            self._learnt.add(relpath)
        return words

    def digest_of(self, relpath: str) -> str | None:
        """The file's `content_digest`, or None if it cannot be read."""
        digest = self._digests.get(relpath)
        if digest is None:
            source = self.read(relpath)
            if source is None:
                return None
            digest = self._digests[relpath] = content_digest(source)
            self._learnt.add(relpath)
        return digest

    def check_unparsed(self, relevant: Iterable[str]) -> None:
        """Record an error for each file read but not parsed whose bytes cannot be Python text.

        Such a file gets no stat record, so it is read and checked again on every run until fixed
        (a file the index remembers was checked, and found fine, when it was recorded).
        """
        parsed = set(relevant)
        for relpath, source in self._sources.items():
            if relpath not in parsed:
                problem = byte_problem(relpath, source)
                if problem is not None:
                    self.errors.append(problem)
                    self._learnt.discard(relpath)

    def remember(self, cache: ExtractionCache, started_ns: int) -> None:
        """Give the cache a record of every file this run read or learnt something new about."""
        for relpath in self._learnt:
            if relpath in self._stats and relpath in self.has_token:
                cache.remember(
                    self.absolute[relpath],
                    self._stats[relpath],
                    started_ns=started_ns,
                    has_token=self.has_token[relpath],
                    words=self._words.get(relpath),
                    digest=self._digests.get(relpath),
                )

    def _unreadable(self, relpath: str, exc: OSError) -> None:
        reason = exc.strerror or str(exc)
        self.errors.append(FileError(relpath, 1, 1, f"cannot read the file: {reason}"))


def _read_bytes(path: str) -> bytes:
    """`path.read_bytes()` without the buffered file object (a cold run reads every file).

    Only a regular file is read: a FIFO, a device or a socket named `*.py` would block or never
    end, so it is refused (opened without blocking, so that a FIFO cannot hang the open itself).
    """
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    descriptor = os.open(path, flags)  # (O_BINARY: no newline translation)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        chunks = []
        while chunk := os.read(descriptor, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


class _ModuleNames:
    """`module_name_for` of each file, asking the file system once per directory."""

    def __init__(self, absolute: Mapping[str, str], root: Path) -> None:
        self.absolute = absolute
        self.root = root
        self._packages: dict[str, str] = {}  # directory -> its dotted package name ("" if none)
        self._names: dict[str, tuple[str, bool]] = {}

    def __call__(self, relpath: str) -> tuple[str, bool]:
        known = self._names.get(relpath)
        if known is not None:
            return known
        directory, name = os.path.split(self.absolute[relpath])
        package = self._packages.get(directory)
        if package is None:
            # the name of the directory's `__init__.py` is the prefix of every module beside it
            package = module_name_for(Path(directory, "__init__.py"), self.root)[0]
            self._packages[directory] = package
        if name == "__init__.py":
            known = (package, True)
        else:
            stem = name.rpartition(".")[0] or name
            known = (f"{package}.{stem}" if package else stem, False)
        self._names[relpath] = known
        return known


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


#: The C stack the extraction runs on. libcst's native parser recurses once per nesting level,
#: and a file nested deeply enough (about 1,500 brackets) overflows a main thread's usual 8 MiB,
#: which kills the process. The stack is reserved address space: only what is used is memory.
#: 0 extracts on the calling thread (a profiler sees only that one).
EXTRACTION_STACK_BYTES = 1 << 30


def _extract_batch(batch: list[_Job]) -> list[FileFacts | FileError]:
    """Extract the jobs on a thread with a large stack (here if no such thread can be made)."""
    results: list[FileFacts | FileError] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            results.extend(_extract_one(job) for job in batch)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            failure.append(exc)

    if EXTRACTION_STACK_BYTES <= 0:
        return [_extract_one(job) for job in batch]
    try:
        previous = threading.stack_size(EXTRACTION_STACK_BYTES)
    except (ValueError, RuntimeError):  # a platform that cannot set it
        return [_extract_one(job) for job in batch]
    try:
        thread = threading.Thread(target=work, name="agentcost-extract", daemon=True)
        thread.start()
    except RuntimeError:  # no thread of that size can be made (an address-space limit)
        return [_extract_one(job) for job in batch]
    finally:
        threading.stack_size(previous)
    thread.join()
    if failure:
        raise failure[0]
    return results


def _extract_all(todo: list[_Job], jobs: Jobs) -> list[FileFacts | FileError]:
    """Extract every job, in a pool of processes when there is enough work (see `worker_count`).

    If the pool cannot start or breaks, the work is done here instead.
    """
    method = pool_start_method()
    workers = worker_count(jobs, len(todo), method)
    if workers < 2:
        return _extract_batch(todo)
    size = max(1, len(todo) // (workers * 4))
    batches = [todo[start : start + size] for start in range(0, len(todo), size)]
    context = multiprocessing.get_context(method)
    if method == "fork":
        preload()
    try:
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            return [result for batch in pool.map(_extract_batch, batches) for result in batch]
    except (OSError, BrokenProcessPool):
        return _extract_batch(todo)


def worker_count(jobs: Jobs, files: int, method: str) -> int:
    """How many processes extract `files` uncached files: 1 means no pool.

    At most `jobs` ("auto": the CPUs this process may use) and `MAX_JOBS`, and only as many as
    get `FILES_PER_FORKED_PROCESS` (or, when processes must be spawned,
    `FILES_PER_SPAWNED_PROCESS`) files each, so that a small or warm run never pays for a pool.
    """
    requested = available_cpus() if jobs == "auto" else jobs
    per_process = FILES_PER_FORKED_PROCESS if method == "fork" else FILES_PER_SPAWNED_PROCESS
    return max(1, min(requested, MAX_JOBS, files // per_process))


def available_cpus() -> int:
    """The CPUs this process may use: its affinity mask, capped by a container's CPU quota."""
    if hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    else:
        count = os.cpu_count() or 1
    quota = _cgroup_cpu_quota()
    return max(1, min(count, quota)) if quota is not None else count


#: Where Linux control groups publish a CPU quota: v2 (`"200000 100000"`), then v1.
CGROUP_CPU_FILES = (
    ("/sys/fs/cgroup/cpu.max",),
    ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_period_us"),
)


def _cgroup_cpu_quota() -> int | None:
    """How many CPUs a cgroup quota allows (a container started with `--cpus 2`), or None."""
    for paths in CGROUP_CPU_FILES:
        try:
            text = " ".join(Path(path).read_text(encoding="ascii") for path in paths)
        except (OSError, UnicodeDecodeError):
            continue
        return cpu_quota(text)
    return None


def cpu_quota(text: str) -> int | None:
    """CPUs in a quota written as `"<quota> <period>"` (rounded up); None for no quota (`max`, -1)."""
    fields = text.split()
    if len(fields) != 2:
        return None
    try:
        quota, period = int(fields[0]), int(fields[1])
    except ValueError:
        return None  # "max 100000": no quota
    if quota <= 0 or period <= 0:
        return None  # cgroup v1 writes -1 for no quota
    return -(-quota // period)


def pool_start_method() -> str:
    """How to start pool processes: "fork" on Linux in a single-threaded process, else "spawn".

    Forking copies the process with libcst already imported, so a worker starts at once; it is
    safe only while no other thread exists (a pytest-xdist worker, for one, runs execnet's I/O
    thread), so the OS thread count is checked, not just Python's.
    """
    if sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return "spawn"
    try:
        threads = len(os.listdir("/proc/self/task"))
    except OSError:
        return "spawn"
    return "fork" if threads == 1 and threading.active_count() == 1 else "spawn"


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
    has_token = {path: any(t in source for t in tokens) for path, source in sources.items()}
    words: dict[str, frozenset[bytes]] = {}

    def words_of(path: str) -> frozenset[bytes]:
        if path not in words:
            words[path] = import_words(sources[path])
        return words[path]

    return _close_over_imports(has_token, words_of, module_name)


def _close_over_imports(
    has_token: Mapping[str, bool],
    words_of: Callable[[str], frozenset[bytes]],
    module_name: Callable[[str], str],
) -> list[str]:
    """The files with a token, plus those whose imports name a selected module, repeatedly."""
    relevant = {path for path, token in has_token.items() if token}
    pending = [path for path in has_token if path not in relevant]
    frontier = set(relevant)
    while frontier and pending:
        names = {_last_part(module_name(path)) for path in frontier} - {b""}
        frontier = {path for path in pending if not names.isdisjoint(words_of(path))}
        relevant |= frontier
        pending = [path for path in pending if path not in frontier]
    return [path for path in has_token if path in relevant]


def _dispatchers(
    relevant: Sequence[str],
    results: Mapping[str, FileFacts | FileError],
    inputs: _Inputs,
    module_name: Callable[[str], str],
) -> list[str]:
    """Unparsed modules that a parsed one imports and that call a decorated method by its name.

    `def drive(agent): return agent.run()` in a module that never mentions Langfuse may be how an
    observed function reaches an observed `run` method; such a module is analysed too.
    """
    names = {
        fn.name
        for facts in results.values()
        if isinstance(facts, FileFacts)
        for fn in facts.functions
        if fn.cls and fn.decorators and not fn.name.startswith("__")
    }
    if not names:
        return []
    imported = frozenset().union(*(inputs.words_of(path) for path in relevant))
    calls = re.compile(rb"\.(?:%b)\s*\(" % b"|".join(re.escape(n.encode()) for n in sorted(names)))
    parsed = set(relevant)
    found = []
    for path in inputs.has_token:
        if path in parsed or _last_part(module_name(path)) not in imported:
            continue
        source = inputs.read(path)
        if source is not None and calls.search(source):
            found.append(path)
    return found


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
    # one object per word across files, so that the cache's stat index pickles (and loads) each
    # word once; the keywords of the statements themselves never name a module
    return frozenset(_WORDS.setdefault(word, word) for word in words - _IMPORT_KEYWORDS)


_IMPORT_KEYWORDS = frozenset({b"import", b"from", b"as"})
_WORDS: dict[bytes, bytes] = {}


def _line_end(source: bytes, position: int) -> int:
    end = source.find(b"\n", position)
    return len(source) if end == -1 else end
