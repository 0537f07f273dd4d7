"""The issue's cases again in the Langfuse v2 style (`langfuse.decorators`), where they apply."""

from __future__ import annotations

from pathlib import Path

from lint_helpers import LintCase, assert_lint_case, parametrize_cases

V2 = "from langfuse.decorators import langfuse_context, observe"
TAG = 'langfuse_context.update_current_observation(metadata={"agent_type": "planner"})'

CASES: list[LintCase] = [
    (
        "factory returning the observe call",
        {
            "app.py": V2
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
        "module-level decorator variable",
        {
            "app.py": V2
            + """
gen = observe(as_type="generation")

@gen
def plan(task):
    """
            + TAG
            + """
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "metadata variable built from spreads and subscripts",
        {
            "app.py": V2
            + """
BASE = {"team": "core"}

@observe(as_type="generation")
def plan(task):
    meta = {**BASE}
    meta["agent_type"] = "planner"
    langfuse_context.update_current_observation(metadata=meta)
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "unverifiable metadata",
        {
            "app.py": V2
            + """
@observe(as_type="generation")
def plan(task, meta):
    langfuse_context.update_current_observation(metadata=meta)
"""
        },
        {"select": ("AC001",)},
        [("app.py", 2, "AC001")],
    ),
    (
        "stacked decorator sets the key",
        {
            "app.py": V2
            + """
def tagged(fn):
    def inner(*args):
        """
            + TAG
            + """
        return fn(*args)
    return inner

@observe(as_type="generation")
@tagged
def plan(task):
    return task
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "alias import",
        {
            "app.py": """
from langfuse.decorators import observe as lf_observe
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
import langfuse.decorators as lfd
@lfd.observe(as_type="generation")
def plan(task):
    lfd.langfuse_context.update_current_observation(metadata={"agent_type": "p"})
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "re-export through the project",
        {
            "app/__init__.py": "",
            "app/tracing.py": V2 + "\n",
            "app/agents.py": """
from app.tracing import langfuse_context, observe
@observe(as_type="generation")
def plan(task):
    return task
@observe()
def run(sid):
    langfuse_context.update_current_trace(session_id=sid)
    plan(sid)
""",
        },
        {},
        [("app/agents.py", 2, "AC001")],
    ),
    (
        "child reached through a helper in another module is not a root",
        {
            "app/__init__.py": "",
            "app/workers.py": V2
            + """
@observe()
def work():
    pass

def helper():
    work()
""",
            "app/main.py": V2
            + """
from app.workers import helper
@observe()
def handle(sid):
    langfuse_context.update_current_trace(session_id=sid)
    helper()
""",
        },
        {},
        [],
    ),
    (
        "session set in a helper the root calls",
        {
            "app.py": V2
            + """
def remember(sid):
    langfuse_context.update_current_trace(session_id=sid)

@observe()
def handle(sid):
    remember(sid)
"""
        },
        {},
        [],
    ),
    (
        "as_type trace root without session",
        {
            "app.py": V2
            + """
@observe(as_type="trace")
def run(analysis_id):
    langfuse_context.update_current_trace(name="content_analysis")
"""
        },
        {},
        [("app.py", 2, "AC002")],
    ),
    (
        "seed convention passes",
        {
            "app.py": V2
            + """
class AnalysisWorkflow:
    @observe(as_type="trace")
    async def run_analysis(self, url, analysis_id):
        langfuse_context.update_current_trace(name="content_analysis", session_id=str(analysis_id))
        for agent in self.agents:
            await self.run_agent(agent, url, analysis_id)

    @observe(as_type="generation")
    async def run_agent(self, agent, content, analysis_id):
        langfuse_context.update_current_observation(
            name=f"{agent.name}_generation", metadata={"agent_type": agent.name}
        )
        return await agent.analyze(content)
"""
        },
        {},
        [],
    ),
    (
        "suppressed with noqa on the def line",
        {
            "app.py": V2
            + """
@observe(as_type="generation")
def plan(task):  # noqa: AC001
    return task
"""
        },
        {"select": ("AC001",)},
        [],
    ),
    (
        "low-level client bound in a closure",
        {
            "app.py": """
from langfuse import Langfuse
def make():
    langfuse = Langfuse()
    def run(sid):
        trace = langfuse.trace(name="t", session_id=sid)
        return trace.generation(name="g")
    return run
"""
        },
        {},
        [("app.py", 6, "AC001")],
    ),
]


@parametrize_cases(CASES)
def test_v2_case_reports_exactly_the_expected_findings(tmp_path: Path, case: LintCase) -> None:
    assert_lint_case(tmp_path, case)
