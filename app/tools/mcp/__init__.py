"""Tools from Model Context Protocol servers (SPEC §7), beside Confab's own.

``config.py`` reads the servers the instance's operator named in the model file;
``links.py`` holds each worker process's connections to them (on the stream loop, through the
official ``mcp`` SDK); ``naming.py`` gives their tools names a provider accepts; ``results.py``
turns a call's result into what the model reads; ``status.py`` shares what a worker saw with
the pages; ``switches.py`` says which servers an account and a chat have on.
"""
