"""Time `flask models refresh` on a long provider list (issue 31); prints one JSON line per scenario.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/confab_bench .venv/bin/python -m bench.refresh

Without DATABASE_URL it uses a temporary SQLite file. The demo LLM server runs in its own
process and lists ``--models`` models in OpenRouter's shape; the refresh runs in this
process through the SDK over HTTP, as the command does. Each scenario reports its wall
time, this process's CPU, and the SQL statements it sent (counted by SQLAlchemy), so
"constant" can be read off: the first refresh adds every model, the second finds nothing
changed, the third finds 10 % gone.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=500)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="confab-refresh-bench-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.db")
    os.environ.setdefault("REDIS_URL", "fakeredis://")
    os.environ["CONFAB_INSTANCE_DIR"] = str(workdir)

    from flask_migrate import downgrade, upgrade

    from app import create_app
    from app.catalog import refresh, registry
    from app.config import Config
    from app.extensions import db
    from app.models import LlmModel, LlmProvider
    from tests.support.processes import start_demo_llm, stop

    demo, demo_url = start_demo_llm(workdir)
    app = create_app(Config, role="web")
    try:
        with app.app_context():
            downgrade(revision="base")
            upgrade()
            registry.seed(app.config["MODELS_FILE"])
            router = LlmProvider(key="router", base_url=f"{demo_url}/catalog/openrouter,count={args.models}/v1")
            db.session.add(router)
            db.session.commit()
            statements = []
            sa.event.listen(db.engine, "before_cursor_execute",
                            lambda *_a, **_k: statements.append(1))
            for scenario, spec in (("first_refresh", f"count={args.models}"),
                                   ("unchanged_refresh", f"count={args.models}"),
                                   ("tenth_gone_refresh", f"count={args.models},drop={args.models // 10}")):
                router = db.session.execute(sa.select(LlmProvider).where(LlmProvider.key == "router")).scalar_one()
                router.base_url = f"{demo_url}/catalog/openrouter,{spec}/v1"
                db.session.commit()
                statements.clear()
                cpu, wall = time.process_time(), time.perf_counter()
                [result] = refresh.refresh("router")
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                print(json.dumps({
                    "scenario": scenario, "models_listed": result.listed, "added": result.added,
                    "changed": result.changed, "gone": result.gone, "error": result.error,
                    "seconds": round(wall, 3), "cpu_seconds": round(cpu, 3), "sql_statements": len(statements),
                    "models_in_registry": db.session.execute(sa.select(sa.func.count(LlmModel.id))).scalar_one(),
                    "database": db.engine.dialect.name,
                    "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                }), flush=True)
    finally:
        stop(demo)


if __name__ == "__main__":
    main()
