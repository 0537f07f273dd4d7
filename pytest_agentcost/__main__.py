"""`python -m pytest_agentcost` is the `agentcost` command."""

from __future__ import annotations

import sys

from pytest_agentcost.cli import main

sys.exit(main())
