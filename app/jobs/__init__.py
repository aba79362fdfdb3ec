"""RQ jobs: the entry points a worker runs. Each receives ids, opens its own app context
(``context.py``) and calls one use case: answering a chat's pending messages
(``replies.py`` → ``app/replies/workflow.py``), reading a message's documents
(``documents.py`` → ``app/files/reading.py``), naming a chat (``titles.py``); plus the
worker's periodic sweep (``sweeps.py``). Enqueueing is ``app/platform/queue.py``'s."""
