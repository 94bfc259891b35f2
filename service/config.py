"""Settings, read from the environment once at start-up and checked, so that a wrong
setting stops the service with a message naming it instead of failing later."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .store import DEFAULT_DATABASE_URL, DatabaseURLError, persistence_environment


class ConfigurationError(ValueError):
    """One or more settings are missing or wrong; the message lists each."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    port: int = 8000
    secret_key: str = "dev-only-not-secret"
    max_body_bytes: int = 1024 * 1024
    persistence: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        problems = []
        database_url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
        persistence: dict[str, str] = {}
        try:
            persistence = persistence_environment(database_url)
        except DatabaseURLError as error:
            problems.append(f"DATABASE_URL: {error}")
        port = 8000
        try:
            port = int(env.get("PORT") or 8000)
            if not 0 < port < 65536:
                raise ValueError
        except ValueError:
            problems.append(f"PORT: must be a TCP port number, not {env.get('PORT')!r}")
        if problems:
            raise ConfigurationError("; ".join(problems))
        return cls(
            database_url=database_url,
            port=port,
            secret_key=env.get("SECRET_KEY") or cls.secret_key,
            persistence=persistence,
        )
