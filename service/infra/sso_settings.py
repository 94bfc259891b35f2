"""The identity providers people may sign in with (docs/how-to/sign-in-with-sso.md):
OpenID Connect (OIDC_*) and GitHub (GITHUB_*). Read with the other settings at
start-up, each wrong one named (config.py). A provider is on when its client id is set."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from service.infra.env_reader import EnvReader


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    """OIDC_ISSUER: its `/.well-known/openid-configuration` says where everything is"""
    client_id: str
    client_secret: str = field(repr=False)
    scopes: str = "openid email profile"
    label: str = "your organisation's account"
    """OIDC_LABEL: the button says "Sign in with" it"""

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"


@dataclass(frozen=True)
class GitHubSettings:
    client_id: str
    client_secret: str = field(repr=False)
    org: str = ""
    """GITHUB_ORG: only its members may sign in, checked at every sign-in"""
    url: str = "https://github.com"
    """GITHUB_URL: where people authorise (a GitHub Enterprise Server's, or a test stub's)"""
    api_url: str = "https://api.github.com"
    """GITHUB_API_URL: where the service asks who they are"""


@dataclass(frozen=True)
class SsoSettings:
    oidc: OidcSettings | None = None
    github: GitHubSettings | None = None

    @classmethod
    def from_environment(cls, env: Mapping[str, str], problems: list[str]) -> SsoSettings:
        read = EnvReader(env, problems)
        return cls(oidc=_oidc(read, problems), github=_github(read, problems))


def _oidc(read: EnvReader, problems: list[str]) -> OidcSettings | None:
    client_id = read.text("OIDC_CLIENT_ID")
    if not client_id:
        return None
    issuer, secret = read.text("OIDC_ISSUER"), read.text("OIDC_CLIENT_SECRET")
    if not issuer.startswith(("https://", "http://")):
        problems.append(f"OIDC_ISSUER: must be the provider's http(s) address, not {issuer!r}")
    if not secret:
        problems.append("OIDC_CLIENT_SECRET: must be set with OIDC_CLIENT_ID")
    scopes = read.text("OIDC_SCOPES") or OidcSettings.scopes
    if "openid" not in scopes.split():
        problems.append(f"OIDC_SCOPES: must include openid, not {scopes!r}")
    return OidcSettings(
        issuer=issuer,
        client_id=client_id,
        client_secret=secret,
        scopes=scopes,
        label=read.text("OIDC_LABEL") or OidcSettings.label,
    )


def _github(read: EnvReader, problems: list[str]) -> GitHubSettings | None:
    client_id = read.text("GITHUB_CLIENT_ID")
    if not client_id:
        return None
    secret, org = read.text("GITHUB_CLIENT_SECRET"), read.text("GITHUB_ORG")
    if not secret:
        problems.append("GITHUB_CLIENT_SECRET: must be set with GITHUB_CLIENT_ID")
    if not org:
        problems.append("GITHUB_ORG: must name the organisation whose members may sign in")
    urls = {}
    for name, default in (
        ("GITHUB_URL", GitHubSettings.url),
        ("GITHUB_API_URL", GitHubSettings.api_url),
    ):
        urls[name] = (read.text(name) or default).rstrip("/")
        if not urls[name].startswith(("https://", "http://")):
            problems.append(f"{name}: must be an http(s) address, not {urls[name]!r}")
    return GitHubSettings(
        client_id=client_id,
        client_secret=secret,
        org=org,
        url=urls["GITHUB_URL"],
        api_url=urls["GITHUB_API_URL"],
    )
