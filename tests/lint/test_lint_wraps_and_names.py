"""The called decorator form, factories, keys added to parameters, and names rebound from themselves."""

from __future__ import annotations

from pathlib import Path

import pytest
from lint_helpers import LintCase, assert_lint_case, lint_files, parametrize_cases

#: The observe import and the in-body metadata call of each SDK style.
STYLES = {
    "v3": (
        "from langfuse import get_client, observe",
        'get_client().update_current_generation(metadata={"agent_type": "a"})',
    ),
    "v2": (
        "from langfuse.decorators import langfuse_context, observe",
        'langfuse_context.update_current_observation(metadata={"agent_type": "a"})',
    ),
}


def styled(style: str) -> list[LintCase]:
    """The called-form cases, written in one SDK style."""
    imports, tag = STYLES[style]
    return [
        (
            f"{style}: each observe(...)(fn) call is its own observation, reported where it is",
            {
                "app.py": f"""
{imports}
def raw(x):
    return x
planner = observe(as_type="generation")(raw)
critic = observe(as_type="generation")(raw)
span = observe()(raw)
"""
            },
            {"select": ("AC001",)},
            [("app.py", 4, "AC001"), ("app.py", 5, "AC001")],
        ),
        (
            f"{style}: wrapping an already decorated function is reported at the wrap",
            {
                "app.py": f"""
import functools
{imports}
@functools.lru_cache
def raw(x):
    return x
planner = observe(as_type="generation")(raw)  # agentcost: ignore[AC001]
critic = observe(as_type="generation")(raw)
"""
            },
            {"select": ("AC001",)},
            [("app.py", 7, "AC001")],
        ),
        (
            f"{style}: a factory returning observe(...)(inner) counts what inner sets",
            {
                "app/__init__.py": "",
                "app/tracing.py": f"""
import functools
{imports}
def tagged(fn):
    @functools.wraps(fn)
    def inner(*args, **kwargs):
        {tag}
        return fn(*args, **kwargs)
    return observe(as_type="generation")(inner)
def untagged(fn):
    @functools.wraps(fn)
    def inner(*args, **kwargs):
        return fn(*args, **kwargs)
    return observe(as_type="generation")(inner)
""",
                "app/agents.py": """
from app.tracing import tagged, untagged
@tagged
def fine():
    pass
@untagged
def missing():
    pass
""",
            },
            {"select": ("AC001",)},
            [("app/agents.py", 5, "AC001")],
        ),
        (
            f"{style}: a project factory called directly wraps its argument",
            {
                "app.py": f"""
{imports}
def generation(fn):
    return observe(as_type="generation")(fn)
def raw():
    pass
def tagged_raw():
    {tag}
wrapped = generation(raw)
fine = generation(tagged_raw)
"""
            },
            {"select": ("AC001",)},
            [("app.py", 8, "AC001")],
        ),
        (
            f"{style}: wrapping another library's function is a generation without the key",
            {
                "app.py": f"""
import openai
{imports}
complete = observe(as_type="generation")(openai.chat.completions.create)
traced = observe()(openai.chat.completions.create)
def instrument(agent):
    agent.run = observe(as_type="generation")(agent.run)  # only the caller knows what runs
"""
            },
            {"select": ("AC001",)},
            [("app.py", 3, "AC001")],
        ),
    ]


#: The import and the session-setting `with` line or call of each SDK style, for AC002 cases.
SESSIONS = {
    "v3": (
        "from langfuse import observe, propagate_attributes",
        "with propagate_attributes(session_id='s'):",
    ),
    "v2": (
        "from langfuse.decorators import langfuse_context, observe",
        "if langfuse_context.update_current_trace(session_id='s') is None:",
    ),
}


def session_cases(style: str) -> list[LintCase]:
    """AC002 cases about what reaches an observed function, written in one SDK style."""
    imports, session = SESSIONS[style]
    return [
        (
            f"{style}: a with statement's later items are entered inside its earlier ones",
            {
                "app.py": """
from langfuse import get_client, propagate_attributes
def covered():
    with propagate_attributes(session_id="s"), get_client().start_as_current_observation(
        name="inner"
    ):
        pass
def sets_it_inside():
    with get_client().start_as_current_observation(name="outer") as span, propagate_attributes(
        session_id="s"
    ):
        pass
def uncovered():
    with get_client().start_as_current_observation(name="alone"):
        pass
"""
            },
            {"select": ("AC002",)},
            [("app.py", 13, "AC002")],
        )
        if style == "v3"
        else (
            "v2: a trace made inside a with statement's earlier item",
            {
                "app.py": """
import contextlib
from langfuse import Langfuse
langfuse = Langfuse()
def run():
    with contextlib.suppress(KeyError), open("x") as f:
        langfuse.trace(name="t", session_id="s")
        langfuse.trace(name="u")
"""
            },
            {"select": ("AC002",)},
            [("app.py", 7, "AC002")],
        ),
        (
            f"{style}: a decorator returning functools.wraps(fn)(wrapper) sets the session",
            {
                "app.py": f"""
import functools
{imports}
def with_session(fn):
    def wrapper(*args, **kwargs):
        {session}
            return fn(*args, **kwargs)
    return functools.wraps(fn)(wrapper)
@with_session
@observe()
def root():
    pass
@observe()
def lonely():
    pass
"""
            },
            {"select": ("AC002",)},
            [("app.py", 12, "AC002")],
        ),
        (
            f"{style}: calling an instance runs its __call__, calling a class its __init__",
            {
                "app.py": f"""
{imports}
class Agent:
    @observe()
    def __call__(self, question):
        return question
class Tool:
    @observe()
    def __init__(self):
        pass
agent = Agent()
@observe()
def root(question):
    {session}
        Tool()
        return agent(question)
"""
            },
            {"select": ("AC002",)},
            [],
        ),
        (
            f"{style}: an instance whose class has no __call__ reaches nothing",
            {
                "app.py": f"""
{imports}
class Agent:
    @observe()
    def run(self):
        pass
agent = Agent()
@observe()
def root():
    {session}
        return agent()
"""
            },
            {"select": ("AC002",)},
            [("app.py", 3, "AC002")],
        ),
    ]


CASES: list[LintCase] = [
    *styled("v3"),
    *styled("v2"),
    *session_cases("v3"),
    *session_cases("v2"),
    (
        "a literal key added to a parameter's metadata is known",
        {
            "app.py": """
from langfuse import get_client
def spread(meta):
    meta = {**meta, "agent_type": "x"}
    get_client().start_generation(name="a", metadata=meta)
def subscript(meta):
    meta["agent_type"] = "x"
    get_client().start_generation(name="b", metadata=meta)
def other_keys(meta):
    meta = {**meta, "a": 1}
    meta = {**meta, "b": 2}
    get_client().start_generation(name="c", metadata=meta)
"""
        },
        {"select": ("AC001",), "unverifiable_metadata": "ignore"},
        [],
    ),
    (
        "a parameter's metadata with other keys added is still unverifiable",
        {
            "app.py": """
from langfuse import get_client
def other_keys(meta):
    meta = {**meta, "a": 1}
    meta = {**meta, "b": 2}
    get_client().start_generation(name="c", metadata=meta)
"""
        },
        {"select": ("AC001",)},
        [("app.py", 5, "AC001")],
    ),
    (
        "metadata completed with a key only known at run time is unverifiable",
        {
            "app.py": """
from langfuse import get_client
def tag(key):
    meta = {}
    meta[key] = "planner"
    get_client().start_generation(name="a", metadata=meta)
"""
        },
        {"select": ("AC001",), "unverifiable_metadata": "ignore"},
        [],
    ),
    (
        "a module rebinding its langfuse import to a client",
        {
            "app.py": """
import langfuse
langfuse = langfuse.get_client()
def run():
    with langfuse.start_as_current_observation(as_type="generation", name="g"):
        pass
    langfuse.trace(name="t", session_id="s").generation(name="x")
"""
        },
        {"select": ("AC001",)},
        [("app.py", 4, "AC001"), ("app.py", 6, "AC001")],
    ),
]


@parametrize_cases(CASES)
def test_wraps_factories_and_names_report_exactly_the_expected_findings(
    tmp_path: Path, case: LintCase
) -> None:
    assert_lint_case(tmp_path, case)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_the_called_form_message_says_to_tag_the_wrapped_function(
    tmp_path: Path, style: str
) -> None:
    imports, tag = STYLES[style]
    source = f"{imports}\ndef raw():\n    pass\nwrapped = observe(as_type='generation')(raw)\n"
    (finding,) = lint_files(tmp_path, {"app.py": source}, select=("AC001",))
    call = tag.partition("(metadata=")[0]
    assert f"add {call}(metadata=" in finding.message
    assert "the function it wraps" in finding.message
    assert (finding.line, finding.column, finding.symbol) == (4, 11, "raw")


def test_wrapping_another_librarys_function_says_to_wrap_it_in_your_own(tmp_path: Path) -> None:
    source = "import openai\nfrom langfuse import observe\nx = observe(as_type='generation')(openai.create)\n"
    (finding,) = lint_files(tmp_path, {"app.py": source}, select=("AC001",))
    assert finding.symbol == "openai.create"
    assert "wrap it in a function of yours" in finding.message
