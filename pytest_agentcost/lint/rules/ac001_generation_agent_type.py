"""AC001: a generation has no `agent_type` metadata (the keys come from `required_metadata`)."""

from __future__ import annotations

from collections.abc import Iterator

from pytest_agentcost.config import Config
from pytest_agentcost.lint.model import Finding
from pytest_agentcost.lint.rules.base import Invalid, ProjectModel, Site, Valid

CODE = "AC001"
NAME = "generation-without-agent-type"
CHECKS = (
    'Every generation or embedding (`@observe(as_type="generation")`, `start_*observation(as_type=...)`, '
    "v3 `start_*generation`, v2 `.generation(...)`, calls of the Langfuse OpenAI wrapper) sets each "
    "`required_metadata` key (default `agent_type`)."
)
FIX = (
    "Set the key on that observation: `metadata=` on the creating call, "
    "`get_client().update_current_generation(metadata=...)` (v3+) or "
    "`langfuse_context.update_current_observation(metadata=...)` (v2) in its body, or `.update(metadata=...)` "
    "on the object it returned."
)
MESSAGE = "generation '{symbol}' has no {keys} metadata; {fix}"
MESSAGE_UNVERIFIABLE = (
    "generation '{symbol}' sets metadata whose keys cannot be known statically, so {keys} could not be "
    'verified; {fix} (or set unverifiable_metadata = "ignore")'
)


def _fix(site: Site, missing: list[str]) -> str:
    literal = "{" + ", ".join(f'"{key}": ...' for key in missing) + "}"
    if site.style == "v2":
        update = f"langfuse_context.update_current_observation(metadata={literal})"
    else:
        update = f"get_client().update_current_generation(metadata={literal})"
    if site.via == "decorator":
        return f"add {update} in its body"
    if site.via == "wrap":
        return f"add {update} in the body of the function it wraps"
    if site.via == "external":
        return f"wrap it in a function of yours that calls {update}, and observe that instead"
    if site.via == "openai":
        return f"pass metadata={literal} to the call (the Langfuse OpenAI wrapper records it on the generation)"
    if site.via == "block":
        return (
            f"pass metadata={literal} to the call, or call "
            f"get_client().update_current_generation(metadata={literal}) inside the block"
        )
    return f"pass metadata={literal} to the call that creates it, or call .update(metadata={literal}) on its result"


def check(model: ProjectModel, config: Config) -> Iterator[tuple[Finding, tuple[int, ...]]]:
    """One finding per generation that lacks a required key."""
    for generation in model.generations:
        site = generation.site
        missing = [key for key in config.required_metadata if key not in generation.keys]
        if not missing:
            continue
        keys = ", ".join(f"'{key}'" for key in missing)
        if generation.unverifiable:
            if config.unverifiable_metadata == "ignore":
                continue
            message = MESSAGE_UNVERIFIABLE.format(
                symbol=site.symbol, keys=keys, fix=_fix(site, missing)
            )
        else:
            message = MESSAGE.format(symbol=site.symbol, keys=keys, fix=_fix(site, missing))
        finding = Finding(site.path, site.line, site.column, CODE, message, site.symbol)
        yield finding, site.extra_lines


VALID = (
    Valid(
        """\
from langfuse.openai import OpenAI

client = OpenAI()

def summarise(text):
    return client.chat.completions.create(
        model="gpt-4o-mini", messages=[], metadata={"agent_type": "summariser"}
    )
"""
    ),
    Valid(
        """\
from langfuse import get_client, observe

@observe(as_type="generation")
def plan(task):
    get_client().update_current_generation(metadata={"agent_type": "planner"})
"""
    ),
    Valid(
        """\
from langfuse.decorators import langfuse_context, observe

@observe(as_type="generation")
def plan(task):
    langfuse_context.update_current_observation(metadata={"agent_type": "planner"})
"""
    ),
    Valid(
        """\
from langfuse import get_client

def write(client, text):
    with get_client().start_as_current_observation(
        as_type="generation", name="writer", metadata={"agent_type": "writer"}
    ):
        return text
"""
    ),
)

INVALID = (
    Invalid(
        """\
from langfuse.openai import openai

def summarise(text):
    return openai.chat.completions.create(model="gpt-4o-mini", messages=[])
""",
        expected=((4, CODE),),
        config=(("select", ("AC001",)),),
    ),
    Invalid(
        """\
from langfuse import observe

@observe(as_type="generation")
def plan(task):
    return task
""",
        expected=((3, CODE),),
        config=(("select", ("AC001",)),),
    ),
    Invalid(
        """\
from langfuse import Langfuse

langfuse = Langfuse()

def research(query):
    trace = langfuse.trace(name="research", session_id="s1")
    trace.generation(name="search", model="gpt-4o")
""",
        expected=((7, CODE),),
    ),
    Invalid(
        """\
from langfuse import get_client

def summarise(meta):
    gen = get_client().start_observation(as_type="generation", name="summary", metadata=meta)
    gen.end()
""",
        expected=((4, CODE),),
    ),
)
