"""pytest-agentcost: keep Langfuse per-agent cost attribution honest.

Importing this package is cheap: libcst, langfuse and genai-prices load only when the lint or the
capture is actually used.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
