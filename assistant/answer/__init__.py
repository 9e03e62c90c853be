"""LCEL chains: question answering (and, later, summaries and fact checks)."""
