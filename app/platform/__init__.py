"""What every process stands on, with no knowledge of chats or people: pooled database
connections (``db_pool.py``), Redis clients (``redis_client.py``), putting jobs on RQ's queue
(``queue.py``), how many HTTP requests a web process serves at once (``admission.py``), the
cycle collector's settings (``heap.py``), ids in URLs and payloads (``ids.py``), the rules
for text people type (``validators.py``), files kept owner-only (``private_files.py``) and work
that may overrun, run in child processes a timeout really ends (``isolated.py``).

The bottom layer: it imports nothing of the app but its extensions and settings."""
