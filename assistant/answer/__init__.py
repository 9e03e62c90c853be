"""From passages to answers: the LCEL chains for questions, summaries and fact checks, and
the prompts they fill in."""
