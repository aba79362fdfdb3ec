"""Secrets Confab keeps in files of its own: the key that encrypts provider API keys entered in
the browser (the ``cryptography`` package's Fernet), and, outside production, the app's
``SECRET_KEY``. Each comes from the environment when set, else is made once into the instance
folder, readable by its owner alone, and reused. None is ever logged."""
from __future__ import annotations

import base64
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from app.platform.private_files import private_folder


class SecretUnreadable(Exception):
    """A stored key cannot be decrypted (the encryption key changed)."""


def encrypt(plain: str) -> str:
    return _fernet(*_source()).encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(*_source()).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("The stored key cannot be read: the encryption key has changed. "
                               "Enter the provider's key again.") from exc


def _source() -> tuple[str | None, str]:
    return current_app.config["PROVIDER_KEYS_SECRET"], current_app.config["PROVIDER_KEYS_SECRET_FILE"]


@lru_cache(maxsize=4)
def _fernet(secret: str | None, path: str) -> Fernet:
    return Fernet(secret.encode() if secret else stored_secret(Path(path), Fernet.generate_key))


def random_secret() -> bytes:
    """64 random bytes, as text (a ``SECRET_KEY``)."""
    return base64.urlsafe_b64encode(os.urandom(64))


def stored_secret(path: Path, make: Callable[[], bytes] = random_secret) -> bytes:
    """The secret in ``path``, made on first use: written whole to a file of its own
    (owner-only), then linked into place, so a process starting at the same moment reads a
    whole secret or makes none, and an existing one is never overwritten."""
    if path.exists():
        return path.read_bytes().strip()
    private_folder(path.parent)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(make())
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another process made it first: its secret is the one
    finally:
        draft.unlink()
    return path.read_bytes().strip()
