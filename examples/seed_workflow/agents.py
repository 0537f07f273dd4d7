"""Stub agents for the seed's `AnalysisWorkflow`: they stand in for the LLM calls.

Each agent answers instantly and, like an instrumented LLM client, tells Langfuse which model it
called and how many tokens it used, through the `report` callable that the SDK-specific workflow
module supplies (`workflow_v2.report_usage` or `workflow_v5.report_usage`). The counts follow
Langfuse's convention: `input` excludes the cache-read tokens, which are counted separately under
`cache_read_input_tokens`. No cost is reported: Langfuse (and pytest-agentcost, offline) prices the
usage from the model name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class StubAgent:
    """One agent of the workflow: a name (its `agent_type`), a real model name and canned usage."""

    name: str
    model: str
    input_tokens: int  # uncached prompt tokens
    output_tokens: int
    cache_read_tokens: int
    report: Callable[[StubAgent], None]

    @property
    def cache_hit(self) -> bool:
        """True when part of the prompt was served from the provider's prompt cache."""
        return self.cache_read_tokens > 0

    def usage_details(self) -> dict[str, int]:
        """The usage in Langfuse's keys, as an instrumented client would send it."""
        return {
            "input": self.input_tokens,
            "output": self.output_tokens,
            "cache_read_input_tokens": self.cache_read_tokens,
        }

    async def analyze(self, content: str) -> str:
        """Pretend to ask the model about `content`, and report the call's model and usage."""
        self.report(self)
        return f"{self.name}: analysed {len(content)} characters"


def make_agents(report: Callable[[StubAgent], None]) -> list[StubAgent]:
    """The seed's three agents: security and synthesis on gpt-4o, tech on claude-sonnet-4-5."""
    return [
        StubAgent("security", "gpt-4o", 1200, 350, 1024, report),
        StubAgent("tech", "claude-sonnet-4-5", 2100, 480, 0, report),
        StubAgent("synthesis", "gpt-4o", 900, 620, 2048, report),
    ]


def fetch_content(url: str) -> str:
    """The page the workflow analyses (the seed leaves `content` undefined; no network here)."""
    return f"<html><body>Content of {url}</body></html>"
