"""Time the usage page on 100,000 messages (issue 11); prints one JSON line per scenario.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/confab_bench .venv/bin/python -m bench.usage

Without DATABASE_URL it uses a temporary SQLite file. The database is migrated, an owner
signs up through the real form, 50,000 questions and their replies are seeded over 30
days, then the page and the CSV are fetched through Flask's test client (no network).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

import sqlalchemy as sa


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replies", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="confab-usage-bench-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.db")
    os.environ.setdefault("REDIS_URL", "fakeredis://")
    os.environ["CONFAB_INSTANCE_DIR"] = workdir

    from flask_migrate import downgrade, upgrade

    from app import create_app
    from app.catalog import registry
    from app.config import Config
    from app.extensions import db
    from app.models import Account
    from tests.support.usage_data import seed_spend

    class BenchConfig(Config):
        WTF_CSRF_ENABLED = False
        RATELIMIT_ENABLED = False

    app = create_app(BenchConfig, role="web")
    with app.app_context():
        downgrade(revision="base")
        upgrade()
        registry.seed(app.config["MODELS_FILE"])
        db.session.commit()
        client = app.test_client()
        client.post("/signup", data={"name": "Bench Owner", "email": "owner@bench.example", "password": "correct horse battery"})
        account_id = db.session.execute(sa.select(Account.id)).scalar_one()
        seeded = time.perf_counter()
        seed_spend(db.engine, account_id, replies=args.replies, days=30)
        seed_seconds = time.perf_counter() - seeded
        messages = db.session.execute(sa.text("SELECT count(*) FROM messages")).scalar_one()
        for scenario, path in (("usage_page_last_30_days", "/usage?range=last_30_days"),
                               ("usage_page_by_member", "/usage?range=last_30_days&split=member"),
                               ("usage_csv_last_30_days", "/usage.csv?range=last_30_days")):
            timings = []
            for _ in range(args.runs):
                started = time.perf_counter()
                response = client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.status_code
            print(json.dumps({
                "scenario": scenario, "database": db.engine.dialect.name, "messages": messages,
                "runs": args.runs, "p50_ms": round(statistics.median(timings), 1), "max_ms": round(max(timings), 1),
                "seed_seconds": round(seed_seconds, 1),
            }), flush=True)


if __name__ == "__main__":
    main()
