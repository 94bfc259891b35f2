"""The key that signs browser sessions: SECRET_KEY, or else a random one made on first
use under var/ and shared by every process of this checkout (`make run`).

A fixed, published default would let anyone forge a session cookie naming any token;
a random key per process would sign people out whenever gunicorn picks another worker.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)

DEV_SECRET_FILE = "var/session-secret.key"


def development_secret_key(path: str | os.PathLike[str] = DEV_SECRET_FILE) -> str:
    """Read the key at `path`, making it (readable by its owner only) if missing:
    processes starting at once all end up with the one that was linked first."""
    target = Path(path)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48))
        try:
            os.link(temporary, target)
            log.warning("SECRET_KEY is not set: signing sessions with a new key in %s", target)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return target.read_text().strip()
