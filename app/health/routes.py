from __future__ import annotations

import redis
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db, limiter
from app.health import bp
from app.platform.redis_client import get_redis


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """200 when both answer, else 503 naming which does not (for the balancer's log)."""
    checks = {"database": _database(), "redis": _redis()}
    healthy = all(state == "ok" for state in checks.values())
    return {"ok": healthy, **checks}, 200 if healthy else 503, {"Cache-Control": "no-store"}


def _database() -> str:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return "unreachable"
    finally:
        db.session.remove()
    return "ok"


def _redis() -> str:
    try:
        get_redis().ping()
    except (redis.RedisError, OSError):
        return "unreachable"
    return "ok"
