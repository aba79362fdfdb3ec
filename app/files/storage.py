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

ORPHAN_AGE_SECONDS = 3600
KEY_LENGTH = 64


def _root() -> Path:
    root = Path(current_app.config["STORAGE_ROOT"])
    if not root.is_dir():
        private_folder(root)
    return root


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
