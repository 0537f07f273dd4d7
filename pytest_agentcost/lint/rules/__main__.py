"""`python -m pytest_agentcost.lint.rules` prints the rule table as Markdown."""

from __future__ import annotations

from pytest_agentcost.lint.rules import rule_table

if __name__ == "__main__":
    print(rule_table(), end="")
