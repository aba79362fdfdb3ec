"""The reply workflow a reply job runs (SPEC §4, §7): take the chat's lock, claim the reply,
build what the model is sent, stream it through the engine, store it, announce it.

- ``workflow.py`` — the workflow itself, one :class:`~app.replies.workflow.Reply` per reply.
- ``context.py`` — the history as the request, trimmed to fit, with its report.
- ``store.py`` — its database reads and writes (claim, history, the finished reply).
- ``titles.py`` — naming a chat after its first exchange; ``pictures.py`` — storing a picture.
- ``sweeper.py`` — replies whose worker died, marked ``interrupted``.

It may use the tools and everything below them; the engine it runs on is ``app/engine/``."""
