"""No input crashes the checker: odd sources, and FileFacts with dangling references."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest
from lint_helpers import lint_tree

from pytest_agentcost.config import Config
from pytest_agentcost.lint.extract import extract_file
from pytest_agentcost.lint.facts import (
    Attr,
    Binding,
    CallFacts,
    CallRef,
    FileFacts,
    FunctionFacts,
    Name,
)
from pytest_agentcost.lint.project import analyze

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "quickstart"


@pytest.mark.parametrize(
    "source",
    [
        b"",
        b"\n\n",
        b"# only a comment\n",
        b"\xef\xbb\xbffrom langfuse import observe\n@observe()\ndef f(): pass\n",
        b"from . import *\nfrom .. import x\nimport a.b.c as d\n",
        b"x = y = z = observe = 1\n@observe\ndef f(): pass\n",
        b"from langfuse import observe\n@observe()()()\ndef f(): pass\n",
        b"from langfuse import get_client\nwith get_client().start_as_current_observation(as_type=1):\n    pass\n",
        b"class A(B, metaclass=M):\n    def m(self, *args, **kwargs): return self.m(*args, **kwargs)\n",
        b"async def f():\n    async for x in y:\n        await x\n    return [await z async for z in w]\n",
        b"lambda: (yield)\n",
    ],
    ids=[
        "empty",
        "blank",
        "comment",
        "bom",
        "relative star",
        "rebinding",
        "curried thrice",
        "non-literal as_type",
        "self recursion",
        "async",
        "lambda yield",
    ],
)
def test_odd_but_valid_sources_are_analysed_without_error(source: bytes) -> None:
    facts = extract_file(source, path="m.py", module="pkg.m", is_package=False, config=Config())
    assert isinstance(facts, FileFacts)
    findings = analyze({"m.py": facts}, Config())
    assert all(f.path == "m.py" for f in findings)


def test_dangling_references_in_facts_do_not_crash_the_analysis() -> None:
    base = FileFacts(
        path="m.py",
        module="m",
        is_package=False,
        bindings=(Binding("", "x", CallRef(99)), Binding("ghost.scope", "y", Attr(Name("x"), "z"))),
        functions=(
            FunctionFacts(
                "f",
                "missing",
                "NoClass",
                ("self",),
                (CallRef(42), Name("x")),
                (CallRef(7),),
                1,
                1,
                (1,),
            ),
        ),
        calls=(
            CallFacts(
                "f",
                Attr(CallRef(5), "start_observation"),
                (CallRef(3),),
                (("metadata", Name("q")),),
                2,
                1,
                (17, -1),
                True,
            ),
        ),
    )
    assert isinstance(analyze({"m.py": base}, Config()), list)


def test_randomly_shuffled_facts_of_the_example_never_crash_the_analysis() -> None:
    facts: dict[str, FileFacts] = {}
    for file in sorted(EXAMPLE.rglob("*.py")):
        result = extract_file(
            file.read_bytes(),
            path=file.name,
            module="research_crew." + file.stem,
            is_package=file.name == "__init__.py",
            config=Config(),
        )
        assert isinstance(result, FileFacts)
        facts[file.name] = result
    rng = random.Random(7)
    for _ in range(50):
        mutated = {}
        for path, item in facts.items():
            calls = list(item.calls)
            rng.shuffle(calls)
            functions = list(item.functions)
            rng.shuffle(functions)
            mutated[path] = dataclasses.replace(
                item, calls=tuple(calls), functions=tuple(functions[1:])
            )
        assert isinstance(analyze(mutated, Config()), list)
    assert lint_tree(EXAMPLE)[0]  # and the real thing still reports


def test_a_very_long_expression_is_still_checked(tmp_path: Path) -> None:
    from lint_helpers import summary, write_tree

    chain = " + ".join(['"a"'] * 1200)
    write_tree(
        tmp_path,
        {"app.py": f"x = {chain}\nfrom langfuse import observe\n@observe()\ndef f(): pass\n"},
    )
    findings, errors = lint_tree(tmp_path)
    assert errors == []
    assert summary(findings) == [("app.py", 3, "AC002")]
