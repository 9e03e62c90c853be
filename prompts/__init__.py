"""The prompt templates, shipped inside the package as ``assistant.prompt_files``."""
