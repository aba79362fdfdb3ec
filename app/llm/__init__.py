"""The one place Confab talks to language models, always through the ``openai`` SDK.

- :mod:`app.llm.clients` — an SDK client per provider, created once.
- :mod:`app.llm.context` — a chat's history as the request, trimmed to fit, with a report.
- :mod:`app.llm.streaming` — the SDK stream as typed events; closable mid-stream.
- :mod:`app.llm.errors` — SDK exceptions sorted into retryable and permanent.
"""
