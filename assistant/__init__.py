"""A newsroom assistant: chat, summaries and fact checks over a corpus of news articles."""

__version__ = "0.1.0"
