"""RQ worker entry point: ``python worker.py`` runs ``WORKERS`` worker processes.

Never green-patched and never imports ``wsgi``. Each RQ worker runs one job at
a time and forks a child per job, so a pool of workers is what lets several
chats stream at once. Events go out through the Redis message queue.
"""
import logging

from rq import Queue, SimpleWorker
from rq.worker_pool import WorkerPool

from app import create_app
from app.jobs import replies, titles  # noqa: F401  (loaded once here, inherited by every fork)
from app.jobs.context import set_job_app
from app.llm.clients import warm_clients
from app.redis_client import get_redis, wait_for_redis


def main() -> None:
    app = create_app(role="worker")
    set_job_app(app)
    with app.app_context():
        wait_for_redis()
        warm_clients()
        connection = get_redis()
        queue = Queue(app.config["RQ_QUEUE"], connection=connection)
        count = app.config["WORKERS"]
        app.logger.info("starting %s RQ workers on queue %s", count, queue.name)
        pool = WorkerPool([queue], connection=connection, num_workers=count, worker_class=SimpleWorker)
        pool.start(burst=False, logging_level=logging.getLevelName(logging.INFO))


if __name__ == "__main__":
    main()
