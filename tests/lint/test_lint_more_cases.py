"""More shapes of real code: async, class-level and inherited clients, star re-exports, nesting."""

from __future__ import annotations

from pathlib import Path

from lint_helpers import LintCase, assert_lint_case, lint_files, parametrize_cases

V3 = "from langfuse import get_client, observe, propagate_attributes"

CASES: list[LintCase] = [
    (
        "async generation and async with",
        {
            "app.py": V3
            + """
@observe(as_type="generation")
async def plan(task):
    await get_client().update_current_generation(metadata={"agent_type": "p"})

async def run():
    async with get_client().start_as_current_observation(as_type="generation", name="g"):
        pass
"""
        },
        {"select": ("AC001",)},
        [("app.py", 7, "AC001")],
    ),
    (
        "client in a class body",
        {
            "app.py": """
from langfuse import Langfuse
class Agent:
    client = Langfuse()
    def run(self):
        self.client.start_generation(name="g")
"""
        },
        {"select": ("AC001",)},
        [("app.py", 5, "AC001")],
    ),
    (
        "client inherited from a base class in another module",
        {
            "app/__init__.py": "",
            "app/base.py": """
from langfuse import get_client
class BaseAgent:
    def __init__(self):
        self.langfuse = get_client()
""",
            "app/writer.py": """
from app.base import BaseAgent
class Writer(BaseAgent):
    def write(self):
        return self.langfuse.start_observation(as_type="generation", name="w")
""",
        },
        {"select": ("AC001",)},
        [("app/writer.py", 4, "AC001")],
    ),
    (
        "star re-export",
        {
            "app/__init__.py": "",
            "app/tracing.py": "from langfuse import *\n",
            "app/agents.py": """
from app.tracing import *
@observe(as_type="generation")
def plan(task):
    return task
""",
        },
        {"select": ("AC001",)},
        [("app/agents.py", 2, "AC001")],
    ),
    (
        "module-level client variable used in an observed function",
        {
            "app.py": """
from langfuse import get_client, observe
langfuse = get_client()
@observe(as_type="generation")
def plan(task):
    langfuse.update_current_generation(metadata={"agent_type": "planner"})
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "update inside a nested span block belongs to the span",
        {
            "app.py": V3
            + """
@observe(as_type="generation")
def plan(task):
    with get_client().start_as_current_observation(as_type="span", name="s"):
        get_client().update_current_generation(metadata={"agent_type": "p"})
"""
        },
        {"select": ("AC001",)},
        [("app.py", 2, "AC001")],
    ),
    (
        "v2 generation straight on the client",
        {
            "app.py": """
from langfuse import Langfuse
langfuse = Langfuse()
langfuse.generation(name="g", metadata={"team": "x"})
"""
        },
        {},
        [("app.py", 3, "AC001")],
    ),
    (
        "parameter named like a client shadows the module one",
        {
            "app.py": """
from langfuse import get_client
client = get_client()
def run(client):
    client.start_observation(as_type="generation", name="g")
"""
        },
        {},
        [],
    ),
    (
        "client parameter annotated Langfuse, Optional, union with None or quoted",
        {
            "app.py": """
from typing import Optional

import langfuse
from langfuse import Langfuse

def plain(client: Langfuse):
    client.start_observation(as_type="generation", name="a")

def optional(client: Optional[Langfuse] = None):
    client.start_generation(name="b")

def union(client: "langfuse.Langfuse | None" = None):
    client.start_observation(as_type="generation", name="c", metadata={"agent_type": "x"})

def quoted(client: "Langfuse"):
    with client.start_as_current_observation(as_type="generation", name="d") as gen:
        gen.update(metadata={"agent_type": "y"})

class Agent:
    def __init__(self, client: langfuse.Langfuse | None) -> None:
        self.client = client

    def run(self):
        self.client.start_generation(name="e")
"""
        },
        {"select": ("AC001",)},
        [("app.py", 7, "AC001"), ("app.py", 10, "AC001"), ("app.py", 24, "AC001")],
    ),
    (
        "parameter annotated with another class or a type alias is not a client",
        {
            "app.py": """
from langfuse import Langfuse
from other_sdk import Client

def run(client: Client, items: list[Langfuse], either: Langfuse | Client):
    client.start_observation(as_type="generation", name="a")
    items.start_generation(name="b")
    either.start_generation(name="c")
"""
        },
        {},
        [],
    ),
    (
        "v2 client parameter: a trace without session_id and a generation without agent_type",
        {
            "app.py": """
from langfuse import Langfuse

def handle(langfuse: Langfuse, session: str) -> None:
    trace = langfuse.trace(name="request")
    trace.generation(name="g", metadata={"team": "x"})
    langfuse.trace(name="ok", session_id=session)
"""
        },
        {},
        [("app.py", 4, "AC002"), ("app.py", 5, "AC001")],
    ),
    (
        "metadata set by a helper the observation object is passed to",
        {
            "app/__init__.py": "",
            "app/tagging.py": """
def tag(generation, agent):
    generation.update(metadata={"agent_type": agent})

def describe(generation):
    generation.update(output="done")
""",
            "app/agents.py": """
from langfuse import get_client
from app.tagging import describe, tag

class Writer:
    def label(self, gen):
        gen.update(metadata={"agent_type": "writer"})

    def run(self):
        with get_client().start_as_current_observation(as_type="generation", name="a") as gen:
            tag(gen, "planner")
        second = get_client().start_observation(as_type="generation", name="b")
        self.label(second)
        third = get_client().start_observation(as_type="generation", name="c")
        describe(third)
        tag("not an observation", "x")
""",
        },
        {"select": ("AC001",)},
        [("app/agents.py", 13, "AC001")],
    ),
    (
        "v2: the session set on a trace object by a helper",
        {
            "app.py": """
from langfuse import Langfuse

langfuse = Langfuse()

def bind_session(trace, session_id):
    trace.update(session_id=session_id)

def handle(session_id):
    trace = langfuse.trace(name="with-helper")
    bind_session(trace, session_id)
    langfuse.trace(name="without")
"""
        },
        {"select": ("AC002",)},
        [("app.py", 11, "AC002")],
    ),
    (
        "optional langfuse import with fallbacks in except ImportError",
        {
            "app.py": """
try:
    from langfuse.decorators import langfuse_context, observe
except ImportError:
    langfuse_context = None

    def observe(*args, **kwargs):
        return lambda fn: fn

@observe(as_type="generation")
def tagged():
    if langfuse_context is not None:
        langfuse_context.update_current_observation(metadata={"agent_type": "writer"})

@observe(as_type="generation")
def untagged():
    return "no metadata"

@observe()
def handle(session_id):
    langfuse_context.update_current_trace(session_id=session_id)
    tagged()
    untagged()
"""
        },
        {},
        [("app.py", 14, "AC001")],
    ),
    (
        "v3 optional import: fallback by module alias, tuple of errors and bare except",
        {
            "app.py": """
try:
    import langfuse as lf
except (ModuleNotFoundError, RuntimeError):
    lf = None
try:
    from langfuse import get_client
except:
    get_client = None

@lf.observe(as_type="generation")
def plan():
    get_client().update_current_generation(metadata={"team": "core"})
"""
        },
        {"select": ("AC001",)},
        [("app.py", 10, "AC001")],
    ),
    (
        "a fallback for a name the try did not import is the project's own",
        {
            "app.py": """
try:
    import orjson as json
except ImportError:
    def observe(*args, **kwargs):
        return lambda fn: fn

@observe(as_type="generation")
def plan():
    return "own decorator"
"""
        },
        {},
        [],
    ),
    (
        "a client created lazily in a module global declared `global`",
        {
            "app.py": """
from langfuse import Langfuse

_client = None

def client():
    global _client
    if _client is None:
        _client = Langfuse()
    return _client

def run():
    client().start_observation(as_type="generation", name="lazy")
"""
        },
        {"select": ("AC001",)},
        [("app.py", 12, "AC001")],
    ),
    (
        "an observation context assigned to a variable, then entered with `with`",
        {
            "app.py": """
from contextlib import nullcontext

from langfuse import get_client, propagate_attributes

def run(task):
    root = nullcontext()
    if task:
        root = get_client().start_as_current_observation(name="workflow")
    with root:
        with get_client().start_as_current_observation(as_type="generation", name="g") as gen:
            gen.update(metadata={"agent_type": "writer"})

def covered(session_id):
    context = get_client().start_as_current_observation(name="covered")
    with propagate_attributes(session_id=session_id):
        with context:
            pass
"""
        },
        {},
        [("app.py", 8, "AC002")],
    ),
    (
        "propagated trace metadata does not set agent_type on a generation",
        {
            "app.py": V3
            + """
@observe(as_type="generation")
def plan(task):
    return task

@observe()
def handle(session_id):
    with propagate_attributes(session_id=session_id, metadata={"agent_type": "planner"}):
        plan("x")
"""
        },
        {},
        [("app.py", 2, "AC001")],
    ),
    (
        "calls of the Langfuse OpenAI wrapper are generations",
        {
            "app/__init__.py": "",
            "app/llm.py": """
from langfuse.openai import AsyncOpenAI, openai

client = AsyncOpenAI()
""",
            "app/agents.py": """
from langfuse.openai import openai
from app.llm import client

def plan(task):
    return openai.chat.completions.create(model="gpt-4o", messages=[], name="plan")

def write(task):
    return openai.chat.completions.create(
        model="gpt-4o", messages=[], metadata={"agent_type": "writer"}
    )

async def embed(text):
    return await client.embeddings.create(model="text-embedding-3-small", input=text)
""",
        },
        {"select": ("AC001",)},
        [("app/agents.py", 5, "AC001"), ("app/agents.py", 13, "AC001")],
    ),
    (
        "the plain openai package is not the Langfuse wrapper",
        {
            "app.py": """
import openai
from openai import OpenAI
from langfuse import observe

client = OpenAI()

@observe()
def run(session_id):
    openai.chat.completions.create(model="gpt-4o", messages=[])
    client.chat.completions.create(model="gpt-4o", messages=[])
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "import inside a function",
        {
            "app.py": """
def run():
    from langfuse import get_client
    get_client().start_observation(as_type="generation", name="g")
"""
        },
        {},
        [("app.py", 3, "AC001")],
    ),
    (
        "recursive helpers do not loop",
        {
            "app.py": V3
            + """
def a():
    b()
def b():
    a()
@observe(as_type="generation")
def plan():
    a()
"""
        },
        {},
        [("app.py", 6, "AC001"), ("app.py", 6, "AC002")],
    ),
    (
        "import cycle between modules does not loop",
        {
            "app/__init__.py": "",
            "app/one.py": "from app.two import observe\n",
            "app/two.py": "from app.one import observe\n@observe()\ndef f(): pass\n",
        },
        {},
        [],
    ),
    (
        "decorator stacked above observe sets session in its wrapper (v2)",
        {
            "app.py": """
from langfuse.decorators import langfuse_context, observe
def in_session(fn):
    def inner(*args):
        langfuse_context.update_current_trace(session_id="s")
        return fn(*args)
    return inner
@in_session
@observe()
def handle():
    pass
"""
        },
        {},
        [],
    ),
    (
        "method called by name on a loop variable is reached",
        {
            "app/__init__.py": "",
            "app/agents.py": V3
            + """
class Planner:
    @observe(as_type="generation")
    def act(self, task):
        get_client().update_current_generation(metadata={"agent_type": "planner"})
""",
            "app/workflow.py": V3
            + """
from app.agents import Planner
@observe()
def run(task, sid):
    with propagate_attributes(session_id=sid):
        for agent in [Planner()]:
            agent.act(task)
""",
        },
        {},
        [],
    ),
    (
        "method called by name inside a propagate block is covered",
        {
            "app.py": V3
            + """
class Worker:
    @observe()
    def work(self):
        pass

def main(workers, sid):
    with propagate_attributes(session_id=sid):
        for worker in workers:
            worker.work()
"""
        },
        {},
        [],
    ),
    (
        "method called by name outside any observation stays a root",
        {
            "app.py": V3
            + """
class Worker:
    @observe()
    def work(self):
        pass

def main(workers):
    for worker in workers:
        worker.work()
"""
        },
        {},
        [("app.py", 3, "AC002")],
    ),
    (
        "wrapped function called from an observed function is reached",
        {
            "app.py": V3
            + """
def work():
    pass
traced_work = observe()(work)

@observe()
def handle(sid):
    with propagate_attributes(session_id=sid):
        traced_work()
"""
        },
        {},
        [],
    ),
]


@parametrize_cases(CASES)
def test_more_code_shapes_report_exactly_the_expected_findings(
    tmp_path: Path, case: LintCase
) -> None:
    assert_lint_case(tmp_path, case)


def test_many_chained_helpers_do_not_exhaust_the_stack(tmp_path: Path) -> None:
    body = "\n".join(f"def h{i}():\n    h{i + 1}()" for i in range(400))
    source = (
        V3 + "\n" + body + "\ndef h400():\n    get_client().update_current_trace(session_id='s')\n"
    )
    source += "@observe()\ndef root():\n    h0()\n"
    findings = lint_files(tmp_path, {"app.py": source})
    assert findings == []  # the session set 400 helpers down is found
