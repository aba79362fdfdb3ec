"""Attachment files on disk under the storage root, addressed by opaque keys."""
from __future__ import annotations

from pathlib import Path

from flask import current_app


def _root() -> Path:
    root = Path(current_app.config["STORAGE_ROOT"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def path_for(key: str) -> Path:
    if not key or "/" in key or "\\" in key or key.startswith("."):
        raise ValueError("invalid storage key")
    return _root() / key


def remove(key: str) -> None:
    try:
        path_for(key).unlink(missing_ok=True)
    except ValueError:
        current_app.logger.warning("refused to remove invalid storage key %r", key)
