"""Table-driven cases for every rule case of issue 2, in each SDK style they apply to."""

from __future__ import annotations

from pathlib import Path

from lint_helpers import LintCase, assert_lint_case, parametrize_cases

V3 = "from langfuse import get_client, observe, propagate_attributes"
V2 = "from langfuse.decorators import langfuse_context, observe"

CASES: list[LintCase] = [
    # ---- AC001: decorator generations --------------------------------------------------------
    (
        "v3 decorated generation without agent_type",
        {
            "app.py": V3
            + """
@observe(as_type="generation")
def plan(task):
    return task
"""
        },
        {"select": ("AC001",)},
        [("app.py", 2, "AC001")],
    ),
    (
        "v3 embedding without agent_type",
        {
            "app.py": V3
            + """
@observe(as_type="embedding")
def embed(text):
    return text
"""
        },
        {"select": ("AC001",)},
        [("app.py", 2, "AC001")],
    ),
    (
        "v2 decorated generation without agent_type",
        {
            "app.py": V2
            + """
@observe(as_type="generation")
def plan(task):
    return task
"""
        },
        {"select": ("AC001",)},
        [("app.py", 2, "AC001")],
    ),
    (
        "v3 update_current_generation sets the key",
        {
            "app.py": V3
            + """
@observe(as_type="generation")
def plan(task):
    get_client().update_current_generation(metadata={"agent_type": "planner"})
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "v3 update_current_span sets the key",
        {
            "app.py": V3
            + """
@observe(as_type="generation")
def plan(task):
    get_client().update_current_span(metadata={"agent_type": "planner"})
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "v2 update_current_observation sets the key",
        {
            "app.py": V2
            + """
@observe(as_type="generation")
def plan(task):
    langfuse_context.update_current_observation(metadata={"agent_type": "planner"})
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "metadata without the key is reported",
        {
            "app.py": V3
            + """
@observe(as_type="generation")
def plan(task):
    get_client().update_current_generation(metadata={"model": "x"})
"""
        },
        {"select": ("AC001",)},
        [("app.py", 2, "AC001")],
    ),
    (
        "plain span is not a generation",
        {
            "app.py": V3
            + """
@observe()
def plan(task):
    return task
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    # ---- decorator called, not applied ------------------------------------------------------------
    (
        "v3 observe called on a function",
        {
            "app.py": V3
            + """
def plan(task):
    return task

traced_plan = observe(as_type="generation")(plan)
"""
        },
        {"select": ("AC001",)},
        [("app.py", 5, "AC001")],
    ),
    (
        "v2 observe called on a function",
        {
            "app.py": V2
            + """
def plan(task):
    return task

traced_plan = observe(as_type="generation")(plan)
"""
        },
        {"select": ("AC001",)},
        [("app.py", 5, "AC001")],
    ),
    (
        "factory returning the observe call",
        {
            "app.py": V3
            + """
def generation(fn):
    return observe(as_type="generation")(fn)

@generation
def plan(task):
    return task
"""
        },
        {"select": ("AC001",)},
        [("app.py", 5, "AC001")],
    ),
    (
        "factory returning an observe decorator",
        {
            "app.py": V3
            + """
def generation():
    return observe(as_type="generation")

@generation()
def plan(task):
    return task
"""
        },
        {"select": ("AC001",)},
        [("app.py", 5, "AC001")],
    ),
    (
        "module-level decorator variable",
        {
            "app.py": V3
            + """
gen_deco = observe(as_type="generation")

@gen_deco
def plan(task):
    return task
"""
        },
        {"select": ("AC001",)},
        [("app.py", 4, "AC001")],
    ),
    # ---- metadata values ---------------------------------------------------------------------------
    (
        "local dict variable",
        {
            "app.py": V3
            + """
@observe(as_type="generation")
def plan(task):
    meta = {"agent_type": "planner"}
    get_client().update_current_generation(metadata=meta)
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "dict() call",
        {
            "app.py": V3
            + """
@observe(as_type="generation")
def plan(task):
    get_client().update_current_generation(metadata=dict(agent_type="planner"))
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "literal key among spreads",
        {
            "app.py": V3
            + """
@observe(as_type="generation")
def plan(task, base):
    get_client().update_current_generation(metadata={**base, "agent_type": "planner", **base})
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "subscript assignment",
        {
            "app.py": V3
            + """
@observe(as_type="generation")
def plan(task):
    meta = {}
    meta["agent_type"] = "planner"
    get_client().update_current_generation(metadata=meta)
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "spread of a module dict with the key",
        {
            "app.py": V3
            + """
BASE = {"agent_type": "planner"}

@observe(as_type="generation")
def plan(task):
    get_client().update_current_generation(metadata={**BASE, "step": 1})
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "parameter metadata is unverifiable",
        {
            "app.py": V3
            + """
@observe(as_type="generation")
def plan(task, meta):
    get_client().update_current_generation(metadata=meta)
"""
        },
        {"select": ("AC001",)},
        [("app.py", 2, "AC001")],
    ),
    (
        "call result metadata is unverifiable",
        {
            "app.py": V3
            + """
@observe(as_type="generation")
def plan(task):
    get_client().update_current_generation(metadata=build())
"""
        },
        {"select": ("AC001",)},
        [("app.py", 2, "AC001")],
    ),
    (
        "unverifiable metadata ignored by config",
        {
            "app.py": V3
            + """
@observe(as_type="generation")
def plan(task, meta):
    get_client().update_current_generation(metadata=meta)
"""
        },
        {"select": ("AC001",), "unverifiable_metadata": "ignore"},
        [],
    ),
    # ---- plain helpers, decorators stacked ------------------------------------------------------------
    (
        "plain helper in another module sets the key",
        {
            "app/__init__.py": "",
            "app/meta.py": V3
            + """
def tag(agent):
    get_client().update_current_generation(metadata={"agent_type": agent})
""",
            "app/agents.py": V3
            + """
from app.meta import tag

@observe(as_type="generation")
def plan(task):
    tag("planner")
""",
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "v2 plain helper in another module sets the key",
        {
            "app/__init__.py": "",
            "app/meta.py": V2
            + """
def tag(agent):
    langfuse_context.update_current_observation(metadata={"agent_type": agent})
""",
            "app/agents.py": V2
            + """
from .meta import tag

@observe(as_type="generation")
def plan(task):
    tag("planner")
""",
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "observed helper does not set the caller's key",
        {
            "app.py": V3
            + """
@observe()
def tag():
    get_client().update_current_generation(metadata={"agent_type": "x"})

@observe(as_type="generation")
def plan(task):
    tag()
"""
        },
        {"select": ("AC001",)},
        [("app.py", 6, "AC001")],
    ),
    (
        "stacked decorator sets the key in its wrapper",
        {
            "app.py": V3
            + """
import functools

def tagged(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        get_client().update_current_generation(metadata={"agent_type": fn.__name__})
        return fn(*args, **kwargs)
    return wrapper

@observe(as_type="generation")
@tagged
def plan(task):
    return task
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    # ---- call-created generations ------------------------------------------------------------------
    (
        "v3 start_observation generation without metadata",
        {
            "app.py": V3
            + """
def run():
    gen = get_client().start_observation(as_type="generation", name="g")
    gen.end()
"""
        },
        {"select": ("AC001",)},
        [("app.py", 3, "AC001")],
    ),
    (
        "v3 start_observation metadata kwarg",
        {
            "app.py": V3
            + """
def run():
    gen = get_client().start_observation(as_type="generation", name="g", metadata={"agent_type": "a"})
    gen.end()
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "v3 update on the bound object",
        {
            "app.py": V3
            + """
def run():
    gen = get_client().start_observation(as_type="generation", name="g")
    gen.update(metadata={"agent_type": "a"})
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "v3 with block update_current_generation inside",
        {
            "app.py": V3
            + """
def run():
    with get_client().start_as_current_observation(as_type="generation", name="g"):
        get_client().update_current_generation(metadata={"agent_type": "a"})
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "v3 with block update on as-name",
        {
            "app.py": V3
            + """
def run():
    with get_client().start_as_current_observation(as_type="generation", name="g") as gen:
        gen.update(metadata={"agent_type": "a"})
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "v3 start_generation without metadata",
        {
            "app.py": V3
            + """
from langfuse import Langfuse
client = Langfuse()
def run():
    client.start_generation(name="g").end()
"""
        },
        {"select": ("AC001",)},
        [("app.py", 5, "AC001")],
    ),
    (
        "v3 start_as_current_generation on a span",
        {
            "app.py": V3
            + """
def run():
    span = get_client().start_span(name="s")
    with span.start_as_current_generation(name="g"):
        pass
"""
        },
        {"select": ("AC001",)},
        [("app.py", 4, "AC001")],
    ),
    (
        "span with as_type span is no generation",
        {
            "app.py": V3
            + """
def run():
    get_client().start_observation(as_type="span", name="s").end()
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "v2 trace generation chain without metadata",
        {
            "app.py": """
from langfuse import Langfuse
langfuse = Langfuse()
def run():
    langfuse.trace(name="t", session_id="s").generation(name="g")
"""
        },
        {},
        [("app.py", 4, "AC001")],
    ),
    (
        "v2 names bound to span results",
        {
            "app.py": """
from langfuse import Langfuse
def run():
    trace = Langfuse().trace(name="t", session_id="s")
    reply = trace.span(name="reply")
    gen = reply.generation(name="g")
    gen.end(metadata={"agent_type": "writer"})
"""
        },
        {},
        [],
    ),
    (
        "v2 generation metadata kwarg",
        {
            "app.py": """
from langfuse import Langfuse
def run():
    trace = Langfuse().trace(name="t", session_id="s")
    trace.generation(name="g", metadata={"agent_type": "w"})
"""
        },
        {},
        [],
    ),
    # ---- what counts as Langfuse --------------------------------------------------------------------
    (
        "alias import",
        {
            "app.py": """
from langfuse import observe as lf_observe
@lf_observe(as_type="generation")
def plan(task):
    return task
"""
        },
        {"select": ("AC001",)},
        [("app.py", 2, "AC001")],
    ),
    (
        "module alias",
        {
            "app.py": """
import langfuse as lf
@lf.observe(as_type="generation")
def plan(task):
    return task
"""
        },
        {"select": ("AC001",)},
        [("app.py", 2, "AC001")],
    ),
    (
        "client in a closure",
        {
            "app.py": """
from langfuse import Langfuse
def make():
    client = Langfuse()
    def run():
        return client.start_observation(as_type="generation", name="g")
    return run
"""
        },
        {"select": ("AC001",)},
        [("app.py", 5, "AC001")],
    ),
    (
        "client on self",
        {
            "app.py": """
from langfuse import get_client
class Agent:
    def __init__(self):
        self.client = get_client()
    def run(self):
        return self.client.start_observation(as_type="generation", name="g")
"""
        },
        {"select": ("AC001",)},
        [("app.py", 6, "AC001")],
    ),
    (
        "re-export through the project",
        {
            "app/__init__.py": "",
            "app/tracing.py": "from langfuse import observe, get_client\n",
            "app/agents.py": """
from app.tracing import observe
@observe(as_type="generation")
def plan(task):
    return task
""",
        },
        {"select": ("AC001",)},
        [("app/agents.py", 2, "AC001")],
    ),
    (
        "own def observe is not Langfuse",
        {
            "app.py": """
def observe(as_type=None):
    return lambda fn: fn
@observe(as_type="generation")
def plan(task):
    return task
"""
        },
        {},
        [],
    ),
    (
        "another library's observe is not Langfuse",
        {
            "app.py": """
from other_tracer import observe
@observe(as_type="generation")
def plan(task):
    return task
"""
        },
        {},
        [],
    ),
    (
        "strings and comments are not Langfuse",
        {
            "app.py": '''
"""@observe(as_type="generation") from langfuse"""
# @observe(as_type="generation")
TEXT = "langfuse.observe(as_type='generation')"
def plan(task):
    return task
'''
        },
        {},
        [],
    ),
    (
        "observe_aliases names a wrapper",
        {
            "app/__init__.py": "",
            "app/tracing.py": """
def traced(**kwargs):
    return lambda fn: fn
""",
            "app/agents.py": """
from app.tracing import traced
@traced(as_type="generation")
def plan(task):
    return task
""",
        },
        {"select": ("AC001",), "observe_aliases": ("app.tracing.traced",)},
        [("app/agents.py", 2, "AC001")],
    ),
    (
        "required_metadata adds keys",
        {
            "app.py": V3
            + """
@observe(as_type="generation")
def plan(task):
    get_client().update_current_generation(metadata={"agent_type": "p"})
"""
        },
        {"select": ("AC001",), "required_metadata": ("agent_type", "team")},
        [("app.py", 2, "AC001")],
    ),
    # ---- AC002 ------------------------------------------------------------------------------------------
    (
        "v3 root without session",
        {
            "app.py": V3
            + """
@observe()
def handle(req):
    return req
"""
        },
        {},
        [("app.py", 2, "AC002")],
    ),
    (
        "v3 trace as_type root without session even when called",
        {
            "app.py": V3
            + """
@observe()
def outer():
    inner()

@observe(as_type="trace")
def inner():
    pass
"""
        },
        {},
        [("app.py", 2, "AC002"), ("app.py", 6, "AC002")],
    ),
    (
        "v2 root without session",
        {
            "app.py": V2
            + """
@observe()
def handle(req):
    return req
"""
        },
        {},
        [("app.py", 2, "AC002")],
    ),
    (
        "v2 update_current_trace session",
        {
            "app.py": V2
            + """
@observe(as_type="trace")
def handle(req):
    langfuse_context.update_current_trace(session_id=req.sid)
"""
        },
        {},
        [],
    ),
    (
        "v3 propagate_attributes in body",
        {
            "app.py": V3
            + """
@observe()
def handle(req):
    with propagate_attributes(session_id=req.sid):
        pass
"""
        },
        {},
        [],
    ),
    (
        "v3 update_current_trace session",
        {
            "app.py": V3
            + """
@observe()
def handle(req):
    get_client().update_current_trace(session_id=req.sid)
"""
        },
        {},
        [],
    ),
    (
        "v3 update_trace on observation",
        {
            "app.py": V3
            + """
def handle(req):
    with get_client().start_as_current_observation(name="root") as span:
        span.update_trace(session_id=req.sid)
"""
        },
        {},
        [],
    ),
    (
        "session set in a reached function",
        {
            "app.py": V3
            + """
def set_session(sid):
    get_client().update_current_trace(session_id=sid)

@observe()
def handle(req):
    set_session(req.sid)
"""
        },
        {},
        [],
    ),
    (
        "child reached through plain helper in another module is not a root",
        {
            "app/__init__.py": "",
            "app/workers.py": V3
            + """
@observe()
def work():
    pass

def helper():
    work()
""",
            "app/main.py": V3
            + """
from app import workers
@observe()
def handle(req):
    with propagate_attributes(session_id=req.sid):
        workers.helper()
""",
        },
        {},
        [],
    ),
    (
        "method reached via self is not a root",
        {
            "app.py": V3
            + """
class Agent:
    @observe()
    def run(self, req):
        with propagate_attributes(session_id=req.sid):
            self.step()
    @observe()
    def step(self):
        pass
"""
        },
        {},
        [],
    ),
    (
        "enclosing propagate_attributes covers the observation",
        {
            "app.py": V3
            + """
@observe()
def work():
    pass

def main(sid):
    with propagate_attributes(session_id=sid):
        work()
        with get_client().start_as_current_observation(name="batch"):
            pass
"""
        },
        {},
        [],
    ),
    (
        "block nested in another block is not a root",
        {
            "app.py": V3
            + """
def main(sid):
    with get_client().start_as_current_observation(name="outer"):
        get_client().update_current_trace(session_id=sid)
        with get_client().start_as_current_observation(name="inner"):
            pass
"""
        },
        {},
        [],
    ),
    (
        "block without session",
        {
            "app.py": V3
            + """
def main():
    with get_client().start_as_current_observation(name="outer"):
        pass
"""
        },
        {},
        [("app.py", 3, "AC002")],
    ),
    (
        "v2 trace without session",
        {
            "app.py": """
from langfuse import Langfuse
trace = Langfuse().trace(name="t")
"""
        },
        {},
        [("app.py", 2, "AC002")],
    ),
    (
        "v2 trace update session",
        {
            "app.py": """
from langfuse import Langfuse
trace = Langfuse().trace(name="t")
trace.update(session_id="s")
"""
        },
        {},
        [],
    ),
    (
        "stacked decorator wrapper sets session",
        {
            "app.py": V3
            + """
def with_session(fn):
    def wrapper(req):
        with propagate_attributes(session_id=req.sid):
            return fn(req)
    return wrapper

@with_session
@observe()
def handle(req):
    return req
"""
        },
        {},
        [],
    ),
    # ---- suppressions and select/ignore -----------------------------------------------------------------
    (
        "suppressed on the decorator line",
        {
            "app.py": V3
            + """
@observe(as_type="generation")  # agentcost: ignore[AC001]
def plan(task):
    return task
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "bare suppression on the def line",
        {
            "app.py": V3
            + """
@observe()
def handle(req):  # agentcost: ignore
    return req
"""
        },
        {},
        [],
    ),
    (
        "noqa with the code",
        {
            "app.py": V3
            + """
@observe()  # noqa: AC002
def handle(req):
    return req
"""
        },
        {},
        [],
    ),
    (
        "suppression of another code does not apply",
        {
            "app.py": V3
            + """
@observe()  # agentcost: ignore[AC001]
def handle(req):
    return req
"""
        },
        {},
        [("app.py", 2, "AC002")],
    ),
    (
        "bare noqa is not honoured",
        {
            "app.py": V3
            + """
@observe()  # noqa
def handle(req):
    return req
"""
        },
        {},
        [("app.py", 2, "AC002")],
    ),
    (
        "suppression text inside a string does not apply",
        {
            "app.py": V3
            + """
@observe()
def handle(req):
    return "# agentcost: ignore"
"""
        },
        {},
        [("app.py", 2, "AC002")],
    ),
    (
        "ignore drops a rule",
        {
            "app.py": V3
            + """
@observe(as_type="generation")
def handle(req):
    return req
"""
        },
        {"ignore": ("AC002",)},
        [("app.py", 2, "AC001")],
    ),
]


@parametrize_cases(CASES)
def test_lint_case_reports_exactly_the_expected_findings(tmp_path: Path, case: LintCase) -> None:
    assert_lint_case(tmp_path, case)
