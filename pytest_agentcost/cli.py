"""The `agentcost` command (`python -m pytest_agentcost` is the same).

    agentcost lint [PATH ...] [--format text|json] [--no-cache] [--config PYPROJECT]
                   [--select CODES] [--ignore CODES] [--jobs N|auto]
    agentcost rules

Exit codes: 0 clean, 1 findings or file errors, 2 a usage or configuration error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from pytest_agentcost import __version__
from pytest_agentcost.config import (
    RULE_CODES,
    Config,
    ConfigError,
    Jobs,
    config_for_args,
    find_pyproject,
    jobs_value,
    load_config,
)

__all__ = ["CACHE_DIR_NAME", "main"]

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped with Ctrl-C
#: The CLI's extraction cache, next to the pyproject.toml (or in the working directory).
CACHE_DIR_NAME = ".agentcost_cache"


class UsageError(Exception):
    """A bad command line or configuration; the message names it and the fix."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agentcost",
        description="Keep Langfuse per-agent cost attribution honest.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    lint = commands.add_parser(
        "lint",
        help="check that generations carry agent_type and trace roots carry session_id",
        description=(
            "Check Python files for Langfuse generations without agent_type metadata (AC001) and "
            "trace roots without a session_id (AC002). Exit 0 when clean, 1 on findings or file "
            "errors, 2 on a usage or configuration error."
        ),
    )
    lint.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        type=Path,
        help="files or directories (default: [tool.agentcost] lint_paths, else the current directory)",
    )
    lint.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    lint.add_argument(
        "--no-cache", action="store_true", help=f"neither read nor write {CACHE_DIR_NAME}/"
    )
    lint.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        metavar="N",
        default=None,
        help='extract uncached files in up to N processes, or "auto": one per CPU '
        "(default: [tool.agentcost] jobs, else auto; a pool starts only for large cold runs)",
    )
    lint.add_argument(
        "--config",
        metavar="PYPROJECT",
        type=Path,
        help="the pyproject.toml to read [tool.agentcost] from (default: the nearest one)",
    )
    lint.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="CODES",
        help="run only these rules, e.g. --select AC001 (replaces the `select` key)",
    )
    lint.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="CODES",
        help="skip these rules, e.g. --ignore AC002 (added to the `ignore` key)",
    )
    commands.add_parser("rules", help="list the rules", description="List the lint rules.")
    return parser


def _jobs(text: str) -> Jobs:
    try:
        return jobs_value(text, "--jobs")
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--jobs ")) from exc


def main(argv: Sequence[str] | None = None) -> int:
    """Run `agentcost` and return its exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage and 0 for --help/--version
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    for stream in (sys.stdout, sys.stderr):  # a file name an ASCII terminal cannot show
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        if args.command == "lint":
            return _lint(args, sys.stdout)
        if args.command == "rules":
            return _rules(sys.stdout)
    except (UsageError, ConfigError) as exc:
        print(f"agentcost: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("agentcost: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _lint(args: argparse.Namespace, out: TextIO) -> int:
    """`agentcost lint`."""
    cwd = Path.cwd()
    if args.config is not None:
        if not args.config.is_file():
            raise UsageError(f"--config: no such file: {args.config}")
        pyproject: Path | None = args.config.resolve()
    else:
        pyproject = find_pyproject(_search_start(args.paths, cwd))
    config = _with_rule_options(load_config(pyproject), args.select, args.ignore)
    root = pyproject.parent if pyproject is not None else cwd

    if args.paths:
        missing = [str(path) for path in args.paths if not path.exists()]
        if missing:
            raise UsageError(f"no such file or directory: {', '.join(missing)}")
        paths = [path.resolve() for path in args.paths]
    elif config.lint_paths:
        paths = [root / entry for entry in config.lint_paths]
        missing = [entry for entry, path in zip(config.lint_paths, paths) if not path.exists()]
        if missing:
            where = f"{pyproject}: " if pyproject else ""
            raise UsageError(
                f"{where}[tool.agentcost].lint_paths names {', '.join(repr(m) for m in missing)}, which "
                f"does not exist under {root}. Fix the path or remove it from lint_paths."
            )
    else:
        paths = [cwd]

    # The engine (and libcst with it) is imported only when a lint actually runs.
    from pytest_agentcost.lint.cache import ExtractionCache
    from pytest_agentcost.lint.engine import run_lint
    from pytest_agentcost.lint.report import format_json, format_text, relocate

    cache = None if args.no_cache else ExtractionCache(root / CACHE_DIR_NAME, config)
    result = run_lint(paths, config, root=root, cache=cache, jobs=args.jobs)
    result = relocate(result, root=root, cwd=cwd)
    out.write(format_json(result) if args.format == "json" else format_text(result))
    if cache is not None and cache.write_problem:
        print(
            f"agentcost: warning: {cache.write_problem} (results are unaffected).", file=sys.stderr
        )
    return EXIT_CLEAN if result.ok else EXIT_FINDINGS


def _search_start(paths: Sequence[Path], cwd: Path) -> Path:
    """Where to look for the configuration: the directory holding every path given, else cwd.

    So `agentcost lint other/src` uses `other/pyproject.toml`, as running it from `other` would.
    """
    existing = [os.path.abspath(path) for path in paths if path.exists()]
    if not existing:
        return cwd
    common = Path(os.path.commonpath(existing))
    return common if common.is_dir() else common.parent


def _with_rule_options(config: Config, select: Sequence[str], ignore: Sequence[str]) -> Config:
    """Apply `--select` (replaces `select`) and `--ignore` (adds to `ignore`)."""
    selected = _rule_codes(select, "--select")
    ignored = _rule_codes(ignore, "--ignore")
    if selected:
        config = dataclasses.replace(config, select=selected)
    if ignored:
        config = dataclasses.replace(
            config, ignore=tuple(dict.fromkeys((*config.ignore, *ignored)))
        )
    return config


def _rule_codes(values: Sequence[str], option: str) -> tuple[str, ...]:
    codes = tuple(code.upper() for code in config_for_args(values))
    for code in codes:
        if code not in RULE_CODES:
            raise UsageError(
                f"{option} names an unknown rule '{code}'. Known rules: {', '.join(RULE_CODES)}."
            )
    return codes


def _rules(out: TextIO) -> int:
    """`agentcost rules`: each rule's code and name, what it checks and how to fix a finding."""
    from pytest_agentcost.lint.rules import RULES

    for rule in RULES:
        code: str = rule.CODE
        name: str = rule.NAME
        checks: str = rule.CHECKS
        fix: str = rule.FIX
        out.write(f"{code} {name}\n    {checks}\n    Fix: {fix}\n")
    return EXIT_CLEAN
