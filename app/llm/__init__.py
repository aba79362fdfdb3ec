"""The one place Confab talks to language models, always through the ``openai`` SDK.

- ``clients.py`` — an SDK client per provider, created once.
- ``streaming.py`` — a chat completion stream as typed events, closable mid-stream; its
  server-sent events are cut and parsed by ``sse.py``.
- ``completion.py`` — one answer without streaming (titles).
- ``images.py`` — the images API (pictures).
- ``errors.py`` — SDK exceptions sorted into retryable and permanent.

What a reply sends (its history, trimmed to fit) is built by the reply workflow
(``app/replies/context.py``). This package uses the models and nothing above them.
"""
