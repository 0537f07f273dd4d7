"""Extraction: bad input, new syntax, FileFacts JSON round-trip, relevance tokens, module names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lint_helpers import lint_files, snippet, summary

from pytest_agentcost.config import Config
from pytest_agentcost.lint.extract import extract_file, relevance_tokens
from pytest_agentcost.lint.facts import FileFacts
from pytest_agentcost.lint.imports import module_name_for, resolve_relative
from pytest_agentcost.lint.model import FileError


def extract(source: bytes) -> FileFacts | FileError:
    return extract_file(
        source, path="pkg/mod.py", module="pkg.mod", is_package=False, config=Config()
    )


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        (b"def broken(:\n    pass\n", 1, "syntax error"),
        (b"x = 1\ny = (\n", 2, "syntax error"),
        (b"x = 1\na\x00b = 2\n", 2, "NUL byte"),
        (b"# -*- coding: ascii -*-\nname = '\xe9'\n", 2, "cannot decode"),
        (b"name = '\xff\xfe'\n", 1, "cannot decode"),
        (b"# -*- coding: no-such-codec -*-\nx = 1\n", 1, "cannot decode"),
    ],
    ids=[
        "syntax error",
        "unclosed bracket",
        "NUL byte",
        "undecodable for declared coding",
        "undecodable utf-8",
        "unknown coding",
    ],
)
def test_unparseable_input_becomes_a_file_error_with_position_and_message(
    source: bytes, line: int, words: str
) -> None:
    result = extract(source)
    assert isinstance(result, FileError)
    assert result.path == "pkg/mod.py"
    assert words in result.message
    assert result.line >= 1 and result.column >= 1
    if words in ("cannot decode", "NUL byte"):
        assert result.line == line


@pytest.mark.parametrize(
    ("source", "line", "column"),
    [
        ("x = (1 2)\n", 1, 8),
        ("a b\n", 1, 3),
        ("x = 1\nfoo(a b)\n", 2, 7),
        ("def f(**):\n    pass\n", 1, 9),
        ("é = (1 2)\n", 1, 8),
        ("x = 1\ny = (\n", 2, 6),
        ("def f():\r\n\r\n  \n", 1, 9),
        ("x = 'abc\n", 1, 1),
    ],
    ids=[
        "unexpected token",
        "two names",
        "on a later line",
        "in a signature",
        "columns count characters, not bytes",
        "at the end of the file: just after its last text",
        "at the end of the file, after blank lines",
        "tokenizer error without a place",
    ],
)
def test_a_syntax_error_is_reported_where_the_parser_stopped(
    source: str, line: int, column: int
) -> None:
    """The native parser's place is in its message (`error at 2:7`); its column attribute is 0."""
    result = extract(source.encode())
    assert isinstance(result, FileError)
    assert "syntax error" in result.message
    assert (result.line, result.column) == (line, column)


@pytest.mark.parametrize(
    "source",
    [
        "type Vector = list[float]\n",
        "def first[T](items: list[T]) -> T:\n    return items[0]\n",
        "class Box[T]:\n    pass\n",
        "def f[**P, *Ts](x: int) -> None: ...\n",
        "match x:\n    case {'a': 1}:\n        pass\n",
        "print(f'{x!r:>{width}}' f\"{'nested'}\")\n",
    ],
    ids=[
        "type alias",
        "generic function",
        "generic class",
        "param spec",
        "match",
        "nested f-string",
    ],
)
def test_newer_python_syntax_parses_on_this_interpreter(source: str) -> None:
    assert isinstance(extract(source.encode()), FileFacts)


def test_a_generic_generation_written_for_python_3_12_is_still_checked(tmp_path: Path) -> None:
    findings = lint_files(
        tmp_path,
        {
            "app.py": """
        from langfuse import observe
        type Reply = str
        @observe(as_type="generation")
        def answer[T](question: T) -> Reply:
            return str(question)
    """
        },
        select=("AC001",),
    )
    assert summary(findings) == [("app.py", 3, "AC001")]


def test_one_broken_file_does_not_stop_the_others_from_being_checked(tmp_path: Path) -> None:
    from lint_helpers import lint_tree, write_tree

    write_tree(
        tmp_path,
        {
            "broken.py": "def oops(:\n",
            "app.py": "from langfuse import observe\n@observe()\ndef handle(): pass\n",
        },
    )
    (tmp_path / "binary.py").write_bytes(b"\x00\x01\x02")
    findings, errors = lint_tree(tmp_path)
    assert sorted(e.path for e in errors) == ["binary.py", "broken.py"]
    assert summary(findings) == [("app.py", 2, "AC002")]


def test_facts_survive_a_json_round_trip_exactly() -> None:
    source = snippet("""
        import langfuse as lf
        from . import tracing
        from .tracing import *
        BASE = {"team": "core", **lf.DEFAULTS}
        class Agent(Base):
            client = lf.Langfuse()
            def __init__(self):
                self.gen = lf.get_client().start_observation(as_type="generation", name="x")
            async def run(self, meta):
                meta["agent_type"] = "planner"
                async with self.client.start_as_current_observation(name="y") as span:  # noqa: AC002
                    span.update(metadata=dict(meta, step=1.5), session_id=None)
                return lambda: tracing.observe(as_type="generation")(self.run)
    """).encode()
    facts = extract(source)
    assert isinstance(facts, FileFacts)
    encoded = json.loads(json.dumps(facts.to_json()))
    assert FileFacts.from_json(encoded) == facts
    assert facts.suppressions == ((11, ("AC002",)),)


def test_positions_are_one_based_and_point_at_the_decorator_and_the_call() -> None:
    facts = extract(
        snippet("""
        from langfuse import observe, get_client

        class A:
            @observe()
            def run(self):
                x = 1; get_client().start_observation(name="s")
    """).encode()
    )
    assert isinstance(facts, FileFacts)
    run = next(f for f in facts.functions if f.qualname == "A.run")
    assert (run.line, run.column) == (4, 5)
    assert run.header_lines == (4, 5)
    start = next(c for c in facts.calls if isinstance(c.func, type(c.func)) and c.kwargs)
    assert (start.line, start.column) == (6, 29)  # the called name


def test_relevance_tokens_include_the_last_segment_of_each_alias() -> None:
    tokens = relevance_tokens(Config(observe_aliases=("app.tracing.traced_llm",)))
    assert b"langfuse" in tokens and b"observe" in tokens and b"traced_llm" in tokens
    assert all(isinstance(token, bytes) for token in tokens)


def test_module_names_walk_packages_and_strip_a_src_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for rel in [
        "src/app/__init__.py",
        "src/app/agents/__init__.py",
        "src/app/agents/planner.py",
        "scripts/run.py",
        "top.py",
    ]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).touch()
    assert module_name_for(tmp_path / "src/app/agents/planner.py", tmp_path) == (
        "app.agents.planner",
        False,
    )
    assert module_name_for(tmp_path / "src/app/agents/__init__.py", tmp_path) == (
        "app.agents",
        True,
    )
    assert module_name_for(tmp_path / "top.py", tmp_path) == ("top", False)
    assert module_name_for(tmp_path / "scripts/run.py", tmp_path) == ("run", False)
    monkeypatch.chdir(tmp_path / "src")
    assert module_name_for(Path("app/agents/planner.py"), Path(".")) == (
        "app.agents.planner",
        False,
    )


@pytest.mark.parametrize(
    ("module", "is_package", "level", "name", "expected"),
    [
        ("app.agents.planner", False, 1, "tracing", "app.agents.tracing"),
        ("app.agents.planner", False, 2, "tracing", "app.tracing"),
        ("app.agents", True, 1, "tracing", "app.agents.tracing"),
        ("app.agents.planner", False, 1, "", "app.agents"),
        ("app.agents.planner", False, 0, "langfuse", "langfuse"),
    ],
)
def test_relative_imports_resolve_against_the_module(
    module: str, is_package: bool, level: int, name: str, expected: str
) -> None:
    assert resolve_relative(module, is_package, level, name) == expected


def test_calls_in_annotations_are_not_recorded_but_calls_in_defaults_are() -> None:
    facts = extract(
        b"from typing import Annotated\n"
        b"from app.deps import Depends, default_db, make_client\n"
        b"def handler(db: Annotated[str, Depends(default_db)] = make_client()) -> Depends(1):\n"
        b"    total: Depends(2) = make_client()\n"
    )
    assert isinstance(facts, FileFacts)
    called = sorted(getattr(call.func, "id", "") for call in facts.calls)
    assert called == ["make_client", "make_client"]
