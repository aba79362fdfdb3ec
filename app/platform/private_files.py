"""Files and folders Confab keeps on disk (the SQLite database, the attachments) are its
owner's alone: other local users of the machine can neither read nor list them."""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url


def private_folder(path: Path) -> Path:
    """``path`` as a folder only its owner may enter (made, with its parents, if missing)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _restrict(path, 0o700)
    return path


def private_file(path: Path) -> None:
    """``path`` as a file only its owner may read (made empty if missing; SQLite gives its
    journal files the database's permissions)."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    _restrict(path, 0o600)


def _restrict(path: Path, mode: int) -> None:
    """Set ``mode`` on what this user owns; a folder someone else made for Confab (a shared
    mount of the storage root) is left as its owner set it."""
    if path.stat().st_uid == os.getuid():
        path.chmod(mode)


def sqlite_file(database_uri: str) -> Path | None:
    """The file of a SQLite database URI; None for another database or an in-memory one."""
    url = make_url(database_uri)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def keep_private(database_uri: str, storage_root: str) -> None:
    """Make the SQLite database (if it is one), its folder and the storage root owner-only."""
    private_folder(Path(storage_root))
    database = sqlite_file(database_uri)
    if database is not None:
        private_folder(database.parent)
        private_file(database)
