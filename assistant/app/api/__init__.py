"""The assistant as an OpenAI-compatible API, served beside the page by the same app."""
