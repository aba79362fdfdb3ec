"""``GET /healthz`` for load balancers: whether this web process reaches the database and
Redis. Cheap (one ``SELECT 1``, one ``PING``), unauthenticated, and it tells nothing else."""
from flask import Blueprint

bp = Blueprint("health", __name__)

from app.health import routes  # noqa: E402,F401
