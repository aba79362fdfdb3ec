"""Attachment files on disk under the storage root, named by the sha256 of their bytes.

The same file attached twice is stored once. A file is written (atomically, through a
temporary name) before the row that refers to it is committed, so a row never lacks its
file; a crash in between leaves an unreferenced file, which :func:`sweep` removes once it is
an hour old (``flask storage sweep``, and every worker pool's supervisor). Deleting a chat
removes the files no other attachment still refers to (:func:`remove_unreferenced`).
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import Attachment
from app.platform.private_files import private_folder
from app.platform.redis_client import get_redis
from app.platform.secret_files import stored_secret

ORPHAN_AGE_SECONDS = 3600
KEY_LENGTH = 64


def _root() -> Path:
    root = Path(current_app.config["STORAGE_ROOT"])
    if not root.is_dir():
        private_folder(root)
    return root


SHARED_ROOT_KEY = "confab:storage-root-id"
ROOT_ID_FILE = ".confab-storage-id"


class StorageNotShared(RuntimeError):
    """This host's storage root is not the one the others use (its attachments would be lost)."""


def claim_storage_root() -> None:
    """At a web process's or worker pool's start: the storage root carries an id of its own (made
    on first use); the first process to start records it in Redis, and a process whose root
    holds another id (a host with a local-only folder where the others share a volume) refuses
    to start, as the files it stored would be missing on every other host."""
    marker = _root() / ROOT_ID_FILE
    stored_secret(marker, lambda: os.urandom(16).hex().encode())
    mine = marker.read_text().strip()
    client = get_redis()
    client.set(SHARED_ROOT_KEY, mine, nx=True)
    recorded = (client.get(SHARED_ROOT_KEY) or b"").decode()
    if recorded != mine:
        raise StorageNotShared(
            f"The storage root {_root()} is not the one the other Confab processes use (its id is {mine}, "
            f"theirs {recorded}). Every host must reach the same attachments: mount the shared volume at "
            f"CONFAB_STORAGE_ROOT. A fresh instance that starts over: delete the Redis key {SHARED_ROOT_KEY}.")


def path_for(key: str) -> Path:
    if not key or "/" in key or "\\" in key or key.startswith("."):
        raise ValueError("invalid storage key")
    return _root() / key


def key_for(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save(data: bytes) -> str:
    """Store ``data`` under its hash (once) and return the key."""
    key = key_for(data)
    path = path_for(key)
    if path.exists():
        os.utime(path)  # a fresh reference: not an orphan for the next hour
        return key
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return key


def read(key: str) -> bytes:
    return path_for(key).read_bytes()


def referenced(keys: set[str]) -> set[str]:
    if not keys:
        return set()
    return set(db.session.execute(sa.select(Attachment.storage_key).where(Attachment.storage_key.in_(keys))).scalars())


def remove_unreferenced(keys: set[str]) -> int:
    """Delete the files of ``keys`` that no attachment refers to any more (after a commit)."""
    removed = 0
    for key in keys - referenced(keys):
        try:
            path_for(key).unlink(missing_ok=True)
            removed += 1
        except ValueError:
            current_app.logger.warning("refused to remove invalid storage key %r", key)
    return removed


def sweep(older_than: float = ORPHAN_AGE_SECONDS) -> int:
    """Remove files no attachment refers to that are older than ``older_than`` seconds
    (left by a crash between writing a file and committing its row)."""
    root = _root()
    cutoff = time.time() - older_than
    candidates = {path.name: path for path in root.iterdir()
                  if path.is_file() and path.stat().st_mtime < cutoff
                  and (len(path.name) == KEY_LENGTH or path.name.startswith(".upload-"))}
    keep = referenced({name for name in candidates if not name.startswith(".")})
    removed = 0
    for name, path in candidates.items():
        if name not in keep:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
