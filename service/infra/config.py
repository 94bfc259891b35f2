"""Settings, read from the environment once at start-up and checked, so that a wrong
setting stops the service with a message naming it instead of failing later."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

from service.infra.env_reader import EnvReader
from service.infra.notify_settings import NotifySettings
from service.infra.session_secret import development_secret_key
from service.infra.signing import SigningKeyError, load_private_key
from service.infra.sso_settings import SsoSettings
from service.infra.store import DEFAULT_DATABASE_URL, DatabaseURLError, persistence_environment


class ConfigurationError(ValueError):
    """One or more settings are missing or wrong; the message lists each."""


HUBSPOT_PROPERTY_NAME = re.compile(r"^[a-z0-9_]{1,100}$")


@dataclass(frozen=True)
class HubSpotSettings:
    """How the service meets HubSpot (docs/explanation/hubspot.md). The webhook needs the app's
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
        read = EnvReader(env, problems)
        timeout = read.seconds(
            "HUBSPOT_TIMEOUT_SECONDS", cls.timeout_seconds, low=0, high=120, above=True
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
    minutes = EnvReader(env, problems).whole(
        "HUBSPOT_POLL_MINUTES", HubSpotSettings.poll_minutes, low=0, high=1440, unit="minutes"
    )
    return portal_id, minutes


@dataclass(frozen=True)
class CheckpointSettings:
    """How the log's checkpoints are signed (docs/explanation/audit.md): the key
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
        interval = EnvReader(env, problems).seconds(
            "CHECKPOINT_INTERVAL_SECONDS", cls.interval_seconds, low=1, high=86400
        )
        return cls(signing_key_file=key_file, origin=origin, interval_seconds=interval)


@dataclass(frozen=True)
class WebSettings:
    """The people's pages (docs/explanation/web-app.md): the address the service is
    reached at (for one-time sign-in links; https turns on HSTS), how long a browser
    session may stay idle and how long it may last however busy, and how long a sign-in
    link stays valid."""

    public_url: str = "http://127.0.0.1:8000"
    public_url_set: bool = False
    """PUBLIC_URL was given: else a page's links use the address the request came to."""
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    sign_in_link_minutes: int = 60

    @classmethod
    def from_environment(
        cls, env: Mapping[str, str], problems: list[str], *, port: int
    ) -> WebSettings:
        """PUBLIC_URL, or else the address `make run` serves on, this host's `port`: a
        link printed by `make run PORT=8300` must lead to that server, not to 8000."""
        public_url = (env.get("PUBLIC_URL") or f"http://127.0.0.1:{port}").rstrip("/")
        parts = urlparse(public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(
                f"PUBLIC_URL: must be the service's http(s) address, not {public_url!r}"
            )

        read = EnvReader(env, problems)

        def minutes(name: str, default: int) -> int:
            return read.whole(name, default, low=1, high=60 * 24 * 30, unit="minutes")

        return cls(
            public_url=public_url,
            public_url_set=bool(env.get("PUBLIC_URL")),
            session_idle_minutes=minutes("SESSION_IDLE_MINUTES", cls.session_idle_minutes),
            session_max_hours=read.whole(
                "SESSION_MAX_HOURS", cls.session_max_hours, low=1, high=24 * 30, unit="hours"
            ),
            sign_in_link_minutes=minutes("SIGN_IN_LINK_MINUTES", cls.sign_in_link_minutes),
        )

    def sign_in_url(self, code: str) -> str:
        """Where the one-time sign-in link of `code` (`Ledger.issue_sign_in_link`) is
        opened: the page service/web/pages/session.py serves, at PUBLIC_URL."""
        return f"{self.public_url}/sign-in/link/{code}"


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
    """PDF_RENDERS: how many PDFs the worker renders at a time (docs/explanation/pdfs.md)"""
    notify: NotifySettings = field(default_factory=NotifySettings)
    """NOTIFY_*, MAIL_*, SLACK_WEBHOOK_URL (docs/explanation/notifications.md)"""
    sso: SsoSettings = field(default_factory=SsoSettings)
    """OIDC_*, GITHUB_* (docs/how-to/sign-in-with-sso.md)"""

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
        read = EnvReader(env, problems)
        checkpoints = CheckpointSettings.from_environment(env, problems)
        web = WebSettings.from_environment(env, problems, port=port)
        notify = NotifySettings.from_environment(env, problems)
        sso = SsoSettings.from_environment(env, problems)
        values = dict(
            # PROJECTIONS_IN_PROCESS: true, the web server runs the background work itself
            # (gunicorn's master in one `worker run` child); false, a `worker run` process
            # started on its own does.
            projections_in_process=read.flag("PROJECTIONS_IN_PROCESS", True),
            # How long a read waits for the read models before answering 503.
            projections_wait_seconds=read.seconds(
                "PROJECTIONS_WAIT_SECONDS", cls.projections_wait_seconds, low=0, high=60
            ),
            # True: on PostgreSQL a follower is woken by each commit, its poll only the
            # fallback; false: it polls, as it always does on SQLite.
            projections_listen=read.flag("PROJECTIONS_LISTEN", True),
            # The worker beats three times in that time.
            worker_down_after_seconds=read.seconds(
                "WORKER_DOWN_AFTER_SECONDS", cls.worker_down_after_seconds, low=1, high=3600
            ),
            pdf_renders=read.whole("PDF_RENDERS", cls.pdf_renders, low=1, high=8, unit="PDFs"),
        )
        if problems:
            raise ConfigurationError("; ".join(problems))
        return cls(
            database_url=database_url,
            port=port,
            secret_key=env.get("SECRET_KEY") or development_secret_key(),
            persistence=persistence,
            hubspot=hubspot,
            checkpoints=checkpoints,
            web=web,
            notify=notify,
            sso=sso,
            **values,
        )
