"""Tools the model can call while it answers (SPEC §7): the registry (``registry.py``), the
built-in tools (``calculator.py``, ``clock.py``, ``search.py``) and the loop that runs them
inside a reply (``loop.py``)."""
