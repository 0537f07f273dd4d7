"""The fast, text-based positions agree with libcst's code generation on tricky sources."""

from __future__ import annotations

from pathlib import Path

import pytest
from lint_helpers import lint_files

from pytest_agentcost.config import Config
from pytest_agentcost.lint import extract
from pytest_agentcost.lint.facts import FileFacts

TRICKY = {
    "strings that look like code": '''
from langfuse import observe, get_client
DOC = """
@observe(as_type="generation")
def fake(): get_client().start_observation(as_type="generation")
"""
@observe(as_type="generation")  # agentcost: ignore[AC002]
def real(): return get_client().start_observation(as_type="generation", name="x")
''',
    "f-strings with calls and nested quotes": """
from langfuse import get_client
def f(x):
    label = f"{get_client().start_observation(name='in-fstring')} {x!r:>{len(x)}}"
    return get_client().start_observation(as_type="generation", name="after")
""",
    "multi-line decorators and signatures": """
from langfuse import observe
@observe(
    as_type="generation",
    name="multi",
)
async def plan(
    task: str,  # noqa: AC001
    *,
    retries: int = 3,
) -> str:
    return task
""",
    "backslash continuations, semicolons and tabs": (
        "from langfuse import get_client\n"
        "def g():\n"
        "\tx = 1; y = get_client() \\\n"
        "\t\t.start_observation(as_type='generation', name='tabbed')\n"
        "\treturn x, y\n"
    ),
    "windows newlines": (
        "from langfuse import observe\r\n\r\n@observe()\r\ndef handle():\r\n    return 1\r\n"
    ),
    "match patterns, except handlers and conditional expressions": """
from langfuse import get_client
def h(value, client=get_client()):
    match value:
        case str():
            return str(value)
        case int() if int(value) > 0:
            return client
    try:
        pass
    except get_error(value) as error:
        str(error)
    return str(value) if value else str(None)
def get_error(value): return ValueError
""",
    "same name nested and chained": """
from langfuse import Langfuse
lf = Langfuse()
def run():
    lf.trace(name="a").span(name="b").generation(name="c", metadata=lf.generation(name="d"))
    return [lf.span(name=str(i)) for i in range(3)]
""",
    "async functions without decorators, and names that contain def": """
from langfuse import get_client
class Agent:
    async  def run(self, default=None):
        return get_client().start_observation(as_type="generation", name="async")
async def define(undefined):
    return get_client().start_observation(name="defined")
""",
    "classes, decorators on classes, PEP 695": """
import dataclasses
from langfuse import observe
type Alias = list[int]
@dataclasses.dataclass(frozen=True)
class Box[T]:
    value: T
    @observe(as_type="generation")
    def open(self) -> T: return self.value
""",
}


def _uses_fast_path(source: bytes) -> bool:
    import libcst

    tree = libcst.parse_module(source)
    extract.preload()  # (the extractor uses the module's own libcst reference)
    extractor = extract._Extractor(path="m.py", module="m", is_package=False, config=Config())
    for statement in tree.body:
        extractor.walk(statement)
    return extractor.fast_positions(tree, source) is not None


def _both(source: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[FileFacts, FileFacts]:
    config = Config()
    fast = extract.extract_file(source, path="m.py", module="m", is_package=False, config=config)
    with monkeypatch.context() as patch:
        patch.setattr(extract._Extractor, "fast_positions", lambda self, tree, source: None)
        slow = extract.extract_file(
            source, path="m.py", module="m", is_package=False, config=config
        )
    assert isinstance(fast, FileFacts) and isinstance(slow, FileFacts)
    return fast, slow


@pytest.mark.parametrize("source", list(TRICKY.values()), ids=list(TRICKY))
def test_text_positions_match_the_code_generation_positions(
    source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoded = source.lstrip("\n").encode()
    assert _uses_fast_path(encoded)
    fast, slow = _both(encoded, monkeypatch)
    assert fast.functions == slow.functions
    assert fast.suppressions == slow.suppressions
    placed = [c for c in fast.calls if c.line]
    assert placed, "the snippet has calls a finding can point at"
    for mine, exact in zip(fast.calls, slow.calls):
        if mine.line:
            assert mine == exact


def test_every_observation_call_gets_a_place(monkeypatch: pytest.MonkeyPatch) -> None:
    fast, _ = _both(TRICKY["same name nested and chained"].lstrip("\n").encode(), monkeypatch)
    creators = [
        c for c in fast.calls if getattr(c.func, "attr", "") in ("trace", "span", "generation")
    ]
    assert len(creators) == 5
    assert all(c.line > 0 and c.column > 0 for c in creators)


def test_the_bundled_example_uses_the_fast_path_with_identical_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    used: list[bool] = []
    original = extract._Extractor.fast_positions

    def spy(self: extract._Extractor, tree: object, source: bytes) -> object:
        result = original(self, tree, source)  # type: ignore[arg-type]
        used.append(result is not None)
        return result

    monkeypatch.setattr(extract._Extractor, "fast_positions", spy)
    example = Path(__file__).resolve().parents[2] / "examples" / "quickstart"
    for file in sorted(example.rglob("*.py")):
        fast, slow = _both(file.read_bytes(), monkeypatch)
        assert fast.functions == slow.functions
        assert [c for c in fast.calls if c.line] == [
            s for f, s in zip(fast.calls, slow.calls) if f.line
        ]
    assert used and all(used)


REPOSITORY = Path(__file__).resolve().parents[2]
OWN_SOURCES = sorted(
    path
    for folder in ("pytest_agentcost", "tests", "examples", "benchmarks")
    for path in (REPOSITORY / folder).rglob("*.py")
)


def test_text_positions_match_the_code_generation_positions_on_this_repository(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every file of this project, read both ways: the facts must be identical, calls included."""
    fast_paths = 0
    for path in OWN_SOURCES:
        source = path.read_bytes()
        fast, slow = _both(source, monkeypatch)
        assert fast.functions == slow.functions, path
        assert fast.suppressions == slow.suppressions, path
        for mine, exact in zip(fast.calls, slow.calls, strict=True):
            assert mine.line == 0 or mine == exact, (path, mine, exact)
        fast_paths += _uses_fast_path(source)
    assert len(OWN_SOURCES) > 100
    assert fast_paths >= 0.9 * len(OWN_SOURCES)  # the fallback stays the exception


# PEP 701 (Python 3.12) lets a replacement field hold any expression: quotes of the f-string's own
# kind, comments, line breaks. Each shape is the value of `s = ...` in `_PEP_701_MODULE`; most hold
# `'''` in a field, which a scan reading the f-string as a plain string takes for the start of a
# triple-quoted string (so the real decorator disappears and the fake one below counts instead).
# (shape, lines of the shape that hold a real comment, counted from 1 at the `s =` line)
PEP_701 = {
    "the f-string's own quotes in a field": ('''f"{"\'\'\'"}"''', ()),
    "subscripts and dicts with the same quotes": (
        'f"{d["\'\'\'"]} {d[\'k\']} { {"k": "\'\'\'"}["k"] }"',
        (),
    ),
    "nested f-strings": ('f"{f"{f"{"\'\'\'"}"}"}" + f"{f"{"}"}"}"', ()),
    "doubled braces around a field": ('''f"{{{"\'\'\'"}}} {{" + f"}}{{"''', ()),
    "format specs with nested fields": (
        '''f"{x:>{"\'\'\'"}} {y!r:^{len("'")}.{p}f} {z:#x} {z:'^9}"''',
        (),
    ),
    "triple-quoted f-string spanning lines": (
        'f"""\n{"""\'\'\'"""}\n@observe()  # agentcost: ignore\ndef fake(): pass\n"""',
        (),
    ),
    "raw prefixes in every spelling": (
        'fR"{"\\\\"}\\\\" + rf"\\{"\'\'\'"}\\d" + Fr\'{\'\\\'\'}\\n\' + rf"\\N{"}"}"',
        (),
    ),
    "an escaped quote in a field, then suppression-like text": (
        'f"{"\\""} # agentcost: ignore"',
        (),
    ),
    "a field spanning lines, with a comment and a line starting with @": (
        'f"{\n    x  # noqa: AC003\n    @ y\n} # agentcost: ignore"',
        (2,),
    ),
    "t-strings (PEP 750)": ("rT\"{'\\''}\\d\" + t\"{\"'''\"} {x!r:>{w}}\"", ()),
    "a named escape": ('f"\\N{LEFT CURLY BRACKET}{"\'\'\'"}"', ()),
    "a keyword before a plain string is no prefix": ('1 if"{x" else"{"', ()),
}

_PEP_701_MODULE = '''from langfuse import observe, get_client
s = SHAPE
g = get_client().start_generation(name="after the f-string")
@observe(as_type="generation")  # noqa: AC002
def real():
    return get_client().start_observation(as_type="generation", name="real")
t = \'\'\'
@observe()  # agentcost: ignore
def fake(): pass
\'\'\'
u = """
@observe()  # agentcost: ignore
def fake(): return get_client().start_generation(name="fake")
"""
'''


@pytest.mark.parametrize(("shape", "comment_lines"), list(PEP_701.values()), ids=list(PEP_701))
def test_pep_701_strings_are_blanked_whole_and_positions_match(
    shape: str, comment_lines: tuple[int, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _PEP_701_MODULE.replace("SHAPE", shape)
    lines = source.split("\n")
    shape_lines = range(1, 1 + shape.count("\n") + 1)  # 0-based indices of the shape's lines
    masked = extract._mask(source)[0].split("\n")
    plain = extract._mask(_PEP_701_MODULE.replace("SHAPE", '""'))[0].split("\n")
    for index in shape_lines:  # all of each string goes (the code in its fields too), not prefixes
        assert not set(masked[index][4 if index == 1 else 0 :]) & set("\"'{}()[]#@:!\\"), index
    assert masked[shape_lines[-1] + 1 :] == plain[2:]  # and the rest reads as after a plain string

    encoded = source.encode()
    assert _uses_fast_path(encoded)
    fast, slow = _both(encoded, monkeypatch)
    assert fast.functions == slow.functions
    assert fast.suppressions == slow.suppressions
    for mine, exact in zip(fast.calls, slow.calls, strict=True):
        assert mine.line == 0 or mine == exact
    decorator = 1 + lines.index('@observe(as_type="generation")  # noqa: AC002')
    assert [(f.name, f.line, f.column) for f in fast.functions] == [("real", decorator, 1)]
    # text in strings never suppresses anything; comments in a field are comments
    assert [line for line, _ in fast.suppressions] == sorted(
        [decorator] + [1 + n for n in comment_lines]
    )
    placed = {(c.line, c.column) for c in fast.calls if c.line}
    after = 1 + lines.index('g = get_client().start_generation(name="after the f-string")')
    assert placed == {(after, 18), (decorator, 2), (decorator + 2, 25)}  # the called names


def test_text_in_a_pep_701_f_string_neither_suppresses_nor_moves_findings(
    tmp_path: Path,
) -> None:
    """The reported case: `'''` in a field hid the real decorator and exposed a fake one."""
    source = (
        "from langfuse import observe\n"
        's = f"{"\'\'\'"}"\n'
        '@observe(as_type="generation")\n'
        "def a(): pass\n"
        "t = '''\n"
        "@observe()  # agentcost: ignore\n"
        "def fake(): pass\n"
        "'''\n"
    )
    findings = lint_files(tmp_path, {"app.py": source}, select=("AC001",))
    assert [(f.path, f.line, f.column, f.code) for f in findings] == [("app.py", 3, 1, "AC001")]
