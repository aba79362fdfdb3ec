"""The reply engine: how one worker process runs many streaming replies at once.

- ``rq_worker.py``: the RQ worker that runs up to ``STREAMS_PER_WORKER`` jobs at once,
  each in its own thread (the only module that touches RQ's internals); the threads are
  ``job_threads.py``'s, and ``deadlines.py`` keeps every job's time limit in one thread.
- ``loop.py``: one asyncio event loop per process that reads every reply's model
  stream (the job threads wait for it).
- ``relay.py``: one thread per process that sends the deltas of every reply in
  batched Redis round trips, coalescing chunks when busy.
- ``parts.py``: this process's parts, each built on first use (the loop, the relay, the
  draft writer, the supervisor), and how many replies it stores and announces at once.
- ``supervisor.py``: one thread per process that keeps every reply's heartbeat and
  chat lock alive, closes a reply's upstream stream when someone cancels it, and in
  worker processes runs the sweep it is given (``app/jobs/sweeps.py``).
- ``live_state.py``: every streaming reply's text so far and last ``seq`` in Redis, its
  heartbeat and cancel flag; ``chat_lock.py``: one reply at a time per chat;
  ``drafts.py``: the thread that writes streaming replies' text to the database.

The reply workflow that runs on it (claim, build context, stream, finish) is
``app/replies/workflow.py``. The engine may use the model SDK (``app/llm/``), the real-time
package, the models and the platform; never the domain above it.

Nothing is imported here, so a web process that only reads live state (``live_state.py``)
does not load the stream loop, the SDK or RQ's worker.
"""
