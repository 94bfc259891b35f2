"""Signing in with GitHub against a stub of its OAuth and API endpoints: the verified
primary email and membership of the organisation are checked at every sign-in."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from service.application.event_catalogue import type_of
from tests.support.github_stub import ORG, Account, github_stub


@pytest.fixture
def github():
    with github_stub() as stub:
        stub.accounts["octo"] = Account(id=583231, login="octo", email="Octo@Example.org")
        stub.signing_in = "octo"
        yield stub


@pytest.fixture
def app_env(github, monkeypatch) -> dict[str, str]:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the stub is http://127.0.0.1
    return {
        "GITHUB_CLIENT_ID": "ces-tests",
        "GITHUB_CLIENT_SECRET": "s3cret",
        "GITHUB_ORG": ORG,
        "GITHUB_URL": github.url,
        "GITHUB_API_URL": github.url,
    }


@pytest.fixture
def octo(ledger):
    ledger.add_person(email="octo@example.org", role="bd", name="Octo Cat", actor="test")


def sign_in_with_github(client):
    assert "Sign in with GitHub" in client.get("/sign-in").get_data(as_text=True)
    started = client.get("/sign-in/github")
    assert started.status_code == 302, started.get_data(as_text=True)
    back = requests.get(started.headers["Location"], allow_redirects=False, timeout=10)
    location = urlsplit(back.headers["Location"])
    return client.get(f"{location.path}?{location.query}")


def written_since(ledger, head: int) -> list[str]:
    found = ledger.recorder.select_notifications(start=head + 1, limit=100)
    return [type_of(notification.topic) for notification in found]


def is_signed_in(client) -> bool:
    return "/sign-in" not in client.get("/").headers["Location"]


def test_a_member_of_the_org_with_a_verified_email_signs_in(app, ledger, octo):
    client = app.test_client()
    head = ledger.recorder.max_notification_id()
    answer = sign_in_with_github(client)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert is_signed_in(client)
    assert written_since(ledger, head) == ["IdentityClaimed", "IdentityLinked", "PersonSignedIn"]


@pytest.mark.parametrize(
    ("membership", "words"),
    [(None, "not a member of the organisation"), ("pending", "not a member of the organisation")],
)
def test_an_account_outside_the_org_is_refused_at_every_sign_in(
    app, ledger, github, octo, membership, words
):
    assert sign_in_with_github(app.test_client()).status_code == 303
    github.accounts["octo"].orgs = {} if membership is None else {ORG: membership}
    client = app.test_client()
    head = ledger.recorder.max_notification_id()
    answer = sign_in_with_github(client)
    assert answer.status_code == 403 and words in answer.get_data(as_text=True)
    assert written_since(ledger, head) == ["SignInRefused"]
    assert not is_signed_in(client)


def test_an_unverified_primary_email_is_refused(app, ledger, github, octo):
    github.accounts["octo"].verified = False
    client = app.test_client()
    head = ledger.recorder.max_notification_id()
    answer = sign_in_with_github(client)
    assert answer.status_code == 403 and "not verified" in answer.get_data(as_text=True)
    assert written_since(ledger, head) == ["SignInRefused"]
    assert not is_signed_in(client)
