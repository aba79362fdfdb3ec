"""What Confab keeps on disk is its owner's alone (issue 30): other local users of the machine
can read neither the SQLite database nor the attachments, nor list their folders."""
from __future__ import annotations

import stat

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.files import storage


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_and_the_storage_root_are_created_owner_only(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)  # as `make run`'s mkdir leaves it

    class OnDisk(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{instance / 'confab.db'}"
        STORAGE_ROOT = str(instance / "storage")

    app = create_app(OnDisk, role="web")
    with app.app_context():
        db.create_all()
        key = storage.save(b"a file of the team's")
        assert _mode(instance) == 0o700
        assert _mode(instance / "confab.db") == 0o600
        assert _mode(instance / "storage") == 0o700
        assert _mode(storage.path_for(key)) == 0o600
        db.session.remove()
        db.engine.dispose()
