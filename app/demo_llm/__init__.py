"""An OpenAI-compatible demo server for development, demos and tests (SPEC §9)."""
