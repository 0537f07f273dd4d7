"""The run-wide cost report (plain Python, no pytest): summaries, terminal/JSON/HTML output, baseline."""
