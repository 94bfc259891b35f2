"""Settings, read from the environment once at start-up and checked, so that a wrong
setting stops the service with a message naming it instead of failing later."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

from service.infra.session_secret import development_secret_key
from service.infra.signing import SigningKeyError, load_private_key
from service.infra.store import DEFAULT_DATABASE_URL, DatabaseURLError, persistence_environment


class ConfigurationError(ValueError):
    """One or more settings are missing or wrong; the message lists each."""


HUBSPOT_PROPERTY_NAME = re.compile(r"^[a-z0-9_]{1,100}$")


@dataclass(frozen=True)
class HubSpotSettings:
    """How the service meets HubSpot (README, "HubSpot"). The webhook needs the app's
    client secret; fetching deal details needs an access token, and is off without one."""

    client_secret: str | None = field(default=None, repr=False)
    webhook_url: str | None = None
    closed_won_stages: frozenset[str] = frozenset({"closedwon"})
    access_token: str | None = field(default=None, repr=False)
    api_base: str | None = None
    start_property: str = "contract_start_date"
    end_property: str = "contract_end_date"
    hours_property: str = "contract_hours"
    timeout_seconds: float = 10.0
    engagement_url: str | None = None
    url_property: str | None = None
    # The reconciliation poll (integrations/hubspot/poll.py): the portal the token reads
    # (search results do not name it, and the engagement id is derived from it) and how
    # often to search; 0 turns the poll off. Without a client secret it is the only intake.
    portal_id: int | None = None
    poll_minutes: int = 15

    @property
    def polling(self) -> bool:
        """Whether the reconciliation poll runs: it needs a token and the portal id."""
        return bool(self.access_token and self.portal_id is not None and self.poll_minutes)

    @classmethod
    def from_environment(cls, env: Mapping[str, str], problems: list[str]) -> HubSpotSettings:
        """Read the HUBSPOT_* settings, appending a message to `problems` for each wrong one."""

        def url(name: str) -> str | None:
            value = env.get(name) or None
            parts = urlparse(value or "")
            if value is not None and (parts.scheme not in ("http", "https") or not parts.netloc):
                problems.append(f"{name}: must be an http:// or https:// URL, not {value!r}")
            return value

        def property_name(name: str, default: str | None) -> str | None:
            value = env.get(name) or default
            if value is not None and not HUBSPOT_PROPERTY_NAME.match(value):
                problems.append(
                    f"{name}: must be a HubSpot property's internal name "
                    f"(lower-case letters, digits, _), not {value!r}"
                )
            return value

        listed = env.get("HUBSPOT_CLOSED_WON_STAGES", "").split(",")
        stages = frozenset(stage.strip() for stage in listed) - {""}
        if "HUBSPOT_CLOSED_WON_STAGES" in env and not stages:
            problems.append(
                "HUBSPOT_CLOSED_WON_STAGES: give at least one deal stage id, e.g. closedwon"
            )
        timeout = cls.timeout_seconds
        try:
            timeout = float(env.get("HUBSPOT_TIMEOUT_SECONDS") or cls.timeout_seconds)
            if not 0 < timeout <= 120:
                raise ValueError
        except ValueError:
            problems.append(
                "HUBSPOT_TIMEOUT_SECONDS: must be a number of seconds above 0 and at most 120, "
                f"not {env.get('HUBSPOT_TIMEOUT_SECONDS')!r}"
            )
        engagement_url = url("HUBSPOT_ENGAGEMENT_URL")
        if engagement_url is not None and "{id}" not in engagement_url:
            problems.append(
                "HUBSPOT_ENGAGEMENT_URL: must contain {id}, where the engagement id goes, "
                f"not {engagement_url!r}"
            )
        url_property = property_name("HUBSPOT_ENGAGEMENT_URL_PROPERTY", None)
        if (engagement_url is None) != (url_property is None):
            problems.append(
                "HUBSPOT_ENGAGEMENT_URL and HUBSPOT_ENGAGEMENT_URL_PROPERTY: give both to write "
                "the engagement's URL back to the deal, or neither"
            )
        portal_id, poll_minutes = _poll_settings(env, problems)
        if (
            env.get("HUBSPOT_ACCESS_TOKEN")
            and not env.get("HUBSPOT_CLIENT_SECRET")
            and (portal_id is None or not poll_minutes)
        ):
            problems.append(
                "HUBSPOT_PORTAL_ID: with an access token and no client secret (poll-only "
                "mode) the poll is the only way deals come in: give the portal id and leave "
                "HUBSPOT_POLL_MINUTES above 0"
            )
        return cls(
            portal_id=portal_id,
            poll_minutes=poll_minutes,
            client_secret=env.get("HUBSPOT_CLIENT_SECRET") or None,
            webhook_url=url("HUBSPOT_WEBHOOK_URL"),
            closed_won_stages=stages or cls.closed_won_stages,
            access_token=env.get("HUBSPOT_ACCESS_TOKEN") or None,
            api_base=url("HUBSPOT_API_BASE"),
            start_property=property_name("HUBSPOT_START_PROPERTY", cls.start_property),
            end_property=property_name("HUBSPOT_END_PROPERTY", cls.end_property),
            hours_property=property_name("HUBSPOT_HOURS_PROPERTY", cls.hours_property),
            timeout_seconds=timeout,
            engagement_url=engagement_url,
            url_property=url_property,
        )


def _poll_settings(env: Mapping[str, str], problems: list[str]) -> tuple[int | None, int]:
    """HUBSPOT_PORTAL_ID (the Hub ID) and HUBSPOT_POLL_MINUTES (0 to 1440; 0: off)."""
    text = (env.get("HUBSPOT_PORTAL_ID") or "").strip()
    portal_id = None
    if text:
        if text.isascii() and text.isdigit() and len(text) < 19:
            portal_id = int(text)
        else:
            problems.append(f"HUBSPOT_PORTAL_ID: must be the portal's Hub ID, not {text!r}")
    minutes = (env.get("HUBSPOT_POLL_MINUTES") or "15").strip()
    if not (minutes.isascii() and minutes.isdigit() and int(minutes) <= 1440):
        problems.append(
            f"HUBSPOT_POLL_MINUTES: must be a whole number of minutes, 0 to 1440, not {minutes!r}"
        )
        return portal_id, HubSpotSettings.poll_minutes
    return portal_id, int(minutes)


@dataclass(frozen=True)
class CheckpointSettings:
    """How the log's checkpoints are signed (README, "Proving the history"): the key
    file (None: a development key under var/), the origin line naming the log, and how
    often a checkpoint is stored while the log grows."""

    signing_key_file: str | None = None
    origin: str = field(default_factory=socket.gethostname)
    interval_seconds: float = 300.0

    @classmethod
    def from_environment(cls, env: Mapping[str, str], problems: list[str]) -> CheckpointSettings:
        key_file = env.get("CHECKPOINT_SIGNING_KEY_FILE") or None
        if key_file is not None:
            try:
                load_private_key(key_file)
            except SigningKeyError as error:
                problems.append(f"CHECKPOINT_SIGNING_KEY_FILE: {error}")
        origin = env.get("CHECKPOINT_ORIGIN") or socket.gethostname()
        if not 0 < len(origin) <= 255 or not origin.isprintable() or origin != origin.strip():
            problems.append(
                "CHECKPOINT_ORIGIN: must be 1 to 255 printable characters without surrounding "
                f"spaces (the log's name, e.g. ces.example.org/log), not {origin!r}"
            )
        interval = cls.interval_seconds
        try:
            interval = float(env.get("CHECKPOINT_INTERVAL_SECONDS") or interval)
            if not 1 <= interval <= 86400:
                raise ValueError
        except ValueError:
            problems.append(
                "CHECKPOINT_INTERVAL_SECONDS: must be a number of seconds from 1 to 86400, "
                f"not {env.get('CHECKPOINT_INTERVAL_SECONDS')!r}"
            )
        return cls(signing_key_file=key_file, origin=origin, interval_seconds=interval)


@dataclass(frozen=True)
class WebSettings:
    """The people's pages (README, "Using the web app"): the address the service is
    reached at (for one-time sign-in links; https turns on HSTS), how long a browser
    session may stay idle and how long it may last however busy, and how long a sign-in
    link stays valid."""

    public_url: str = "http://127.0.0.1:8000"
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    sign_in_link_minutes: int = 60

    @classmethod
    def from_environment(cls, env: Mapping[str, str], problems: list[str]) -> WebSettings:
        public_url = (env.get("PUBLIC_URL") or cls.public_url).rstrip("/")
        parts = urlparse(public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(
                f"PUBLIC_URL: must be the service's http(s) address, not {public_url!r}"
            )

        def minutes(name: str, default: int) -> int:
            text = env.get(name) or str(default)
            if not text.isdigit() or not 1 <= int(text) <= 60 * 24 * 30:
                problems.append(f"{name}: must be a whole number of minutes, 1 to 43200")
                return default
            return int(text)

        max_hours = env.get("SESSION_MAX_HOURS") or str(cls.session_max_hours)
        if not (max_hours.isascii() and max_hours.isdigit() and 1 <= int(max_hours) <= 24 * 30):
            problems.append("SESSION_MAX_HOURS: must be a whole number of hours, 1 to 720")
            max_hours = str(cls.session_max_hours)

        return cls(
            public_url=public_url,
            session_idle_minutes=minutes("SESSION_IDLE_MINUTES", cls.session_idle_minutes),
            session_max_hours=int(max_hours),
            sign_in_link_minutes=minutes("SIGN_IN_LINK_MINUTES", cls.sign_in_link_minutes),
        )


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    port: int = 8000
    secret_key: str = "dev-only-not-secret"
    max_body_bytes: int = 1024 * 1024
    persistence: dict[str, str] = field(default_factory=dict)
    hubspot: HubSpotSettings = field(default_factory=HubSpotSettings)
    projections_in_process: bool = True
    projections_wait_seconds: float = 5.0
    projections_listen: bool = True
    worker_down_after_seconds: float = 15.0
    """WORKER_DOWN_AFTER_SECONDS: the background worker counts as down once its last
    heartbeat is older (projections/engine/heartbeat.py)"""
    checkpoints: CheckpointSettings = field(default_factory=CheckpointSettings)
    web: WebSettings = field(default_factory=WebSettings)
    pdf_renders: int = 1
    """PDF_RENDERS: how many PDFs the worker renders at a time (README, "PDFs")"""

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
        hubspot = HubSpotSettings.from_environment(env, problems)
        in_process, wait_seconds, listen = _projection_settings(env, problems)
        down_after = _worker_down_after(env, problems)
        checkpoints = CheckpointSettings.from_environment(env, problems)
        web = WebSettings.from_environment(env, problems)
        pdf_renders = env.get("PDF_RENDERS") or str(cls.pdf_renders)
        if not (pdf_renders.isascii() and pdf_renders.isdigit() and 1 <= int(pdf_renders) <= 8):
            problems.append(f"PDF_RENDERS: must be a whole number from 1 to 8, not {pdf_renders!r}")
            pdf_renders = str(cls.pdf_renders)
        if problems:
            raise ConfigurationError("; ".join(problems))
        return cls(
            database_url=database_url,
            port=port,
            secret_key=env.get("SECRET_KEY") or development_secret_key(),
            persistence=persistence,
            hubspot=hubspot,
            projections_in_process=in_process,
            projections_wait_seconds=wait_seconds,
            projections_listen=listen,
            worker_down_after_seconds=down_after,
            checkpoints=checkpoints,
            web=web,
            pdf_renders=int(pdf_renders),
        )


def _projection_settings(env: Mapping[str, str], problems: list[str]) -> tuple[bool, float, bool]:
    """PROJECTIONS_IN_PROCESS (true: the web server runs the background work itself,
    gunicorn's master in one `worker run` child; false: a `worker run` process started
    on its own does), PROJECTIONS_WAIT_SECONDS (how long a read
    waits for the read models to catch up before answering 503) and
    PROJECTIONS_LISTEN (true: on PostgreSQL a follower is woken by each commit, its
    poll only the fallback; false: it polls, as it always does on SQLite)."""
    flags = {}
    for name in ("PROJECTIONS_IN_PROCESS", "PROJECTIONS_LISTEN"):
        flag = (env.get(name) or "true").strip().lower()
        if flag not in ("true", "false", "1", "0", "yes", "no"):
            problems.append(f"{name}: must be true or false, not {flag!r}")
        flags[name] = flag in ("true", "1", "yes")
    wait = Settings.projections_wait_seconds
    try:
        wait = float(env.get("PROJECTIONS_WAIT_SECONDS") or wait)
        if not 0 <= wait <= 60:
            raise ValueError
    except ValueError:
        problems.append(
            "PROJECTIONS_WAIT_SECONDS: must be a number of seconds from 0 to 60, "
            f"not {env.get('PROJECTIONS_WAIT_SECONDS')!r}"
        )
    return flags["PROJECTIONS_IN_PROCESS"], wait, flags["PROJECTIONS_LISTEN"]


def _worker_down_after(env: Mapping[str, str], problems: list[str]) -> float:
    """WORKER_DOWN_AFTER_SECONDS: 1 to 3600 (the worker beats three times in that time)."""
    text = env.get("WORKER_DOWN_AFTER_SECONDS") or str(Settings.worker_down_after_seconds)
    try:
        seconds = float(text)
        if not 1 <= seconds <= 3600:
            raise ValueError
    except ValueError:
        problems.append(
            f"WORKER_DOWN_AFTER_SECONDS: must be a number of seconds from 1 to 3600, not {text!r}"
        )
        return Settings.worker_down_after_seconds
    return seconds
