"""A small multi-agent research workflow traced with Langfuse."""
