"""AC002: a trace root has no `session_id`."""

from __future__ import annotations

from collections.abc import Iterator

from pytest_agentcost.config import Config
from pytest_agentcost.lint.model import Finding
from pytest_agentcost.lint.rules.base import Invalid, ProjectModel, Site, Valid

CODE = "AC002"
NAME = "trace-root-without-session-id"
CHECKS = (
    'Every trace root (`@observe(as_type="trace")`, v2 `Langfuse().trace(...)`, and any observed function or '
    "`start_as_current_observation` block that no other observation reaches) gets a `session_id`."
)
FIX = (
    "Wrap the work in `with propagate_attributes(session_id=...)` (v3+), call "
    "`langfuse_context.update_current_trace(session_id=...)` (v2), or pass `session_id=` to v2 `.trace(...)`."
)
MESSAGE = "trace root '{symbol}' has no session_id; {fix}"


def _fix(site: Site) -> str:
    if site.via == "trace":
        return "pass session_id=... to this .trace(...) call, or call .update(session_id=...) on the trace"
    if site.style == "v2":
        return "add langfuse_context.update_current_trace(session_id=...) in its body"
    if site.via == "block":
        return "wrap it in `with propagate_attributes(session_id=...):`"
    return "wrap its body in `with propagate_attributes(session_id=...):`"


def check(model: ProjectModel, config: Config) -> Iterator[tuple[Finding, tuple[int, ...]]]:
    """One finding per trace root that no session_id reaches."""
    for root in model.roots:
        site = root.site
        if root.has_session:
            continue
        message = MESSAGE.format(symbol=site.symbol, fix=_fix(site))
        yield (
            Finding(site.path, site.line, site.column, CODE, message, site.symbol),
            site.extra_lines,
        )


VALID = (
    Valid(
        """\
from langfuse import observe, propagate_attributes

@observe()
def handle(request):
    with propagate_attributes(session_id=request.session_id):
        return request
"""
    ),
    Valid(
        """\
from langfuse.decorators import langfuse_context, observe

@observe(as_type="trace")
def run(analysis_id):
    langfuse_context.update_current_trace(session_id=str(analysis_id))
"""
    ),
    Valid(
        """\
from langfuse import Langfuse

trace = Langfuse().trace(name="chat", session_id="s-1")
"""
    ),
)

INVALID = (
    Invalid(
        """\
from langfuse import observe

@observe()
def handle(request):
    return request
""",
        expected=((3, CODE),),
    ),
    Invalid(
        """\
from langfuse import get_client

def main():
    with get_client().start_as_current_observation(name="batch"):
        pass
""",
        expected=((4, CODE),),
    ),
    Invalid(
        """\
from langfuse import Langfuse

trace = Langfuse().trace(name="chat")
""",
        expected=((3, CODE),),
    ),
)
