"""Tools the model can call while it answers (SPEC §7): what a tool is (``base.py``), the
built-ins (``calculator.py``, ``clock.py``, ``search.py``), the registry that offers them
(``registry.py``) and the loop that runs them inside a reply (``loop.py``).

It may use the conversations below it (``search_chats`` searches them), never the reply
workflow above it, which drives the loop."""
