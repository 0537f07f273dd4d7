"""`python -m pytest_agentcost` is the `agentcost` command."""

from __future__ import annotations

import sys

from pytest_agentcost.cli import main

if __name__ == "__main__":  # guarded: `--jobs` worker processes re-import the main module
    sys.exit(main())
