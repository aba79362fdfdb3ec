"""RQ worker entry point: ``python worker.py`` runs ``WORKERS`` worker processes,
each running up to ``STREAMS_PER_WORKER`` jobs at once (``app/engine/``) and sweeping
up the replies of workers that died.

Never green-patched and never imports ``wsgi``. The app, the SDK and the job modules
are loaded once here, before RQ's worker pool forks its processes, and the pool
replaces a process that dies. Events go out through the Redis event bus.
"""
import logging

from rq import Queue
from rq.worker_pool import WorkerPool

from app import create_app
from app.engine.parts import supervise_worker_process
from app.engine.rq_worker import ConcurrentWorker
from app.files.storage import claim_storage_root
from app.jobs import replies, titles  # noqa: F401  (loaded once here, inherited by every fork)
from app.jobs.context import forget_inherited_connections, set_job_app
from app.jobs.sweeps import sweeper_for
from app.llm.clients import warm_clients
from app.platform import db_budget, heap
from app.platform.redis_client import get_redis, wait_for_redis


def main() -> None:
    app = create_app(role="worker")

    def supervise() -> None:
        """In each forked worker process, before it takes jobs."""
        with app.app_context():
            forget_inherited_connections(app)
            supervise_worker_process(sweeper_for(app))

    set_job_app(app)
    with app.app_context():
        wait_for_redis()
        claim_storage_root()
        warm_clients()
        db_budget.check(app)
        connection = get_redis()
        queue = Queue(app.config["RQ_QUEUE"], connection=connection)
        processes, slots = app.config["WORKERS"], app.config["STREAMS_PER_WORKER"]
        app.logger.info("starting %s RQ worker processes of %s jobs at once on queue %s", processes, slots, queue.name)
        worker_class = ConcurrentWorker.configured(slots, on_start=supervise,
                                                   job_thread_nice=app.config["JOB_THREAD_NICE"])
        pool = WorkerPool([queue], connection=connection, num_workers=processes, worker_class=worker_class)
        heap.settle()  # what is loaded now is shared with the forks: the collector must not touch (copy) it
        pool.start(burst=False, logging_level=logging.getLevelName(logging.INFO))


if __name__ == "__main__":
    main()
