"""The seed's AnalysisWorkflow (per-agent cost attribution) in Langfuse v2 form and as a v5 translation."""
