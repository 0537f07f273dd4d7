"""Files the pre-filter never parses are still reported when their bytes cannot be Python text."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pytest_agentcost.config import Config
from pytest_agentcost.lint.cache import ExtractionCache
from pytest_agentcost.lint.engine import run_lint
from pytest_agentcost.lint.extract import extract_file
from pytest_agentcost.lint.model import FileError, LintResult
from pytest_agentcost.lint.source_bytes import byte_problem

#: (id, bytes of a file that never mentions Langfuse, expected line, column, words in the message)
BAD_BYTES = [
    ("NUL byte", b"x = 1\na\x00b = 2\n", 2, 2, "NUL byte"),
    ("bad UTF-8 byte", b"x = 1\nname = '\xff'\n", 2, 9, "invalid start byte, byte b'\\xff'"),
    ("bad byte in line 1", b"name = '\xff'\n", 1, 9, "byte b'\\xff'"),
    ("bad for its coding", b"# -*- coding: ascii -*-\nname = '\xe9'\n", 2, 9, "cannot decode"),
    ("unknown coding", b"# -*- coding: no-such-codec -*-\nx = 1\n", 1, 1, "no-such-codec"),
]
#: Bytes that are fine although they are not plain ASCII or declare an encoding.
GOOD_BYTES = [
    ("ASCII", b"x = 1\n"),
    ("UTF-8", "name = 'caf\u00e9'\n".encode()),
    ("UTF-8 with BOM", b"\xef\xbb\xbfname = 'x'\n"),
    ("declared latin-1", b"# coding: latin-1\nname = '\xe9'\n"),
    ("empty", b""),
]


def lint(root: Path, cache: ExtractionCache | None = None) -> LintResult:
    return run_lint([root], Config(), root=root, cache=cache, jobs=1)


@pytest.mark.parametrize(
    ("source", "line", "column", "words"),
    [row[1:] for row in BAD_BYTES],
    ids=[row[0] for row in BAD_BYTES],
)
def test_an_unparsed_file_whose_bytes_are_not_python_text_is_an_error(
    tmp_path: Path, source: bytes, line: int, column: int, words: str
) -> None:
    (tmp_path / "plain.py").write_bytes(source)
    (tmp_path / "fine.py").write_bytes(b"x = 1\n")
    result = lint(tmp_path)
    assert [(e.path, e.line, e.column) for e in result.errors] == [("plain.py", line, column)]
    assert words in result.errors[0].message
    assert result.files_checked == 2


@pytest.mark.parametrize(
    "source", [row[1] for row in GOOD_BYTES], ids=[row[0] for row in GOOD_BYTES]
)
def test_an_unparsed_file_that_decodes_is_not_an_error(tmp_path: Path, source: bytes) -> None:
    (tmp_path / "plain.py").write_bytes(source)
    assert lint(tmp_path).errors == ()


@pytest.mark.parametrize("source", [row[1] for row in BAD_BYTES], ids=[row[0] for row in BAD_BYTES])
def test_the_byte_check_and_the_parser_report_the_same_error(source: bytes) -> None:
    parsed = extract_file(source, path="m.py", module="m", is_package=False, config=Config())
    assert isinstance(parsed, FileError)
    unparsed = byte_problem("m.py", source)
    assert unparsed is not None
    assert (unparsed.line, unparsed.column) == (parsed.line, parsed.column)
    assert re.split(r" \(|;", unparsed.message)[0] == re.split(r" \(|;", parsed.message)[0]


def test_a_warm_run_still_reports_the_unparsed_file_until_it_is_fixed(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    bad = project / "plain.py"
    bad.write_bytes(b"x = '\xff'\n")
    cache_dir = tmp_path / "cache"
    for _ in range(2):  # cold, then warm
        result = lint(project, ExtractionCache(cache_dir, Config()))
        assert [e.path for e in result.errors] == ["plain.py"]
    bad.write_bytes(b"x = 'fixed'\n")
    assert lint(project, ExtractionCache(cache_dir, Config())).errors == ()


def test_a_fifo_named_like_python_is_an_error_and_does_not_block(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")  # opening it to read would block until a writer came
    (tmp_path / "fine.py").write_bytes(b"x = 1\n")
    result = lint(tmp_path)
    assert [(e.path, e.message) for e in result.errors] == [
        ("pipe.py", "cannot read the file: not a regular file")
    ]
    assert result.files_checked == 2


def test_a_dangling_symlink_named_explicitly_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "gone.py").symlink_to(tmp_path / "nowhere.py")
    result = run_lint([tmp_path / "gone.py"], Config(), root=tmp_path, cache=None, jobs=1)
    assert [e.path for e in result.errors] == ["gone.py"]
    assert "No such file" in result.errors[0].message


@pytest.mark.parametrize(
    "where",
    ["x = 'a\x00b'\n", "# a\x00b\n", '"""a\x00b"""\n'],
    ids=["string", "comment", "docstring"],
)
def test_a_nul_byte_anywhere_in_a_parsed_file_is_an_error(tmp_path: Path, where: str) -> None:
    source = "from langfuse import observe\n" + where + "@observe()\ndef f():\n    pass\n"
    (tmp_path / "app.py").write_bytes(source.encode())
    result = lint(tmp_path)
    assert [(e.path, e.line) for e in result.errors] == [("app.py", 2)]
    assert "NUL byte" in result.errors[0].message
    assert result.findings == ()


def test_helpers_that_only_tag_what_they_are_given_are_analysed(tmp_path: Path) -> None:
    files = {
        # no Langfuse name and no import of an instrumented module: only the keys' names
        "tagging.py": (
            "def tag(generation, agent):\n"
            "    generation.update(metadata={'agent_type': agent})\n"
            "def bind(trace, sid):\n"
            "    trace.update(session_id=sid)\n"
        ),
        "run.py": (
            "from langfuse import Langfuse, get_client\n"
            "from tagging import bind, tag\n"
            "def generate():\n"
            "    gen = get_client().start_observation(name='a', as_type='generation')\n"
            "    tag(gen, 'planner')\n"
            "    gen.end()\n"
            "def trace():\n"
            "    t = Langfuse().trace(name='t')\n"
            "    bind(t, 's')\n"
        ),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    result = lint(tmp_path)
    assert result.errors == ()
    assert result.findings == ()
