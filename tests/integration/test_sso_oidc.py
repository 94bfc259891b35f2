"""Signing in with OpenID Connect against a real provider on localhost: the first
sign-in links the account, later ones match it; each refusal is a clear page, no
session, and one `SignInRefused` event and nothing else written."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from service.application.event_catalogue import type_of
from service.domain.people import person_id
from tests.support.dates import days_ago
from tests.support.oidc_provider import authorize_at_provider, oidc_provider, set_account

CLIENT_ID = "ces-tests"


@pytest.fixture
def provider_options() -> dict[str, Any]:
    """How the provider misbehaves; a test parametrizes it."""
    return {}


@pytest.fixture
def issuer(provider_options, monkeypatch):
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the provider is http://localhost
    with oidc_provider(**provider_options) as url:
        yield url


@pytest.fixture
def app_env(issuer) -> dict[str, str]:
    return {
        "OIDC_ISSUER": issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": "s3cret",
        "OIDC_LABEL": "Example SSO",
    }


@pytest.fixture
def ada(ledger, issuer):
    """An auditor given a role by email, whose provider account has it verified."""
    ledger.add_person(email="ada@example.org", role="auditor", name="Ada Lovelace", actor="test")
    set_account(issuer, "ada-sub", email="Ada@Example.org", email_verified=True)
    return "ada-sub"


def written_since(ledger, head: int) -> list[str]:
    """The types of the events written after log position `head`."""
    found = ledger.recorder.select_notifications(start=head + 1, limit=100)
    return [type_of(notification.topic) for notification in found]


def head_of(ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


def is_signed_in(client) -> bool:
    answer = client.get("/")
    return "/sign-in" not in answer.headers["Location"]


def assert_refused(answer, words: str) -> None:
    page = answer.get_data(as_text=True)
    assert answer.status_code == 403, page
    assert "You cannot sign in" in page and words in page, page


def test_the_sign_in_page_offers_the_provider(app):
    page = app.test_client().get("/sign-in").get_data(as_text=True)
    assert "Sign in with Example SSO" in page
    assert 'name="token"' in page, "tokens keep working beside the provider"


def test_the_first_sign_in_links_the_account_and_later_ones_match_it(app, ledger, issuer, ada):
    client = app.test_client()
    head = head_of(ledger)
    answer = client.get(authorize_at_provider(client, ada))
    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert is_signed_in(client)
    assert written_since(ledger, head) == ["IdentityClaimed", "IdentityLinked", "PersonSignedIn"]
    # The provider's email changes: the account still signs the same person in.
    set_account(issuer, ada, email="ada.lovelace@example.org", email_verified=False)
    again = app.test_client()
    head = head_of(ledger)
    assert again.get(authorize_at_provider(again, ada)).status_code == 303
    assert is_signed_in(again)
    assert written_since(ledger, head) == ["PersonSignedIn"]
    person = ledger.person_by_id(person_id("ada@example.org"))
    assert person.identities == {"oidc": ada}


def test_an_account_another_person_later_holds_the_email_of_is_refused(app, ledger, issuer, ada):
    client = app.test_client()
    client.get(authorize_at_provider(client, ada))
    set_account(issuer, "intruder", email="ada@example.org", email_verified=True)
    other = app.test_client()
    head = head_of(ledger)
    assert_refused(other.get(authorize_at_provider(other, "intruder")), "another account")
    assert written_since(ledger, head) == ["SignInRefused"]
    assert not is_signed_in(other)


def test_an_unknown_person_is_told_whom_to_ask_and_gets_no_session(app, ledger, issuer):
    set_account(issuer, "stranger", email="stranger@example.org", email_verified=True)
    client = app.test_client()
    head = head_of(ledger)
    answer = client.get(authorize_at_provider(client, "stranger"))
    assert_refused(answer, "Ask an administrator of this service to give")
    assert "stranger@example.org" in answer.get_data(as_text=True)
    assert written_since(ledger, head) == ["SignInRefused"]
    assert not is_signed_in(client)


def test_an_unverified_email_is_refused(app, ledger, issuer):
    ledger.add_person(email="una@example.org", role="bd", name="Una", actor="test")
    set_account(issuer, "una-sub", email="una@example.org", email_verified=False)
    client = app.test_client()
    head = head_of(ledger)
    assert_refused(client.get(authorize_at_provider(client, "una-sub")), "not verified")
    assert written_since(ledger, head) == ["SignInRefused"]
    assert not is_signed_in(client)


def test_a_wrong_state_is_refused(app, ledger, ada):
    client = app.test_client()
    callback = urlsplit(authorize_at_provider(client, ada))
    query = dict(parse_qsl(callback.query))
    query["state"] = "forged"
    head = head_of(ledger)
    assert_refused(client.get(f"{callback.path}?{urlencode(query)}"), "start it again")
    assert written_since(ledger, head) == ["SignInRefused"]
    assert not is_signed_in(client)


def test_a_replayed_code_is_refused(app, ledger, ada):
    client = app.test_client()
    used = dict(parse_qsl(urlsplit(authorize_at_provider(client, ada)).query))
    assert client.get(f"/sign-in/oidc/callback?{urlencode(used)}").status_code == 303
    attacker = app.test_client()
    fresh = urlsplit(authorize_at_provider(attacker, ada))
    replay = {**dict(parse_qsl(fresh.query)), "code": used["code"]}
    head = head_of(ledger)
    assert_refused(attacker.get(f"{fresh.path}?{urlencode(replay)}"), "did not confirm")
    assert written_since(ledger, head) == ["SignInRefused"]
    assert not is_signed_in(attacker)


@pytest.mark.parametrize(
    ("provider_options", "failed_claim"),
    [
        # Not for this client: Authlib's audience rule then asks for an `azp` naming it.
        pytest.param({"answer_client": "another-client"}, "azp", id="another-audience"),
        pytest.param({"token_max_age": timedelta(minutes=-10)}, "expired_token", id="expired"),
    ],
)
def test_an_id_token_that_fails_its_checks_is_refused(app, ledger, ada, failed_claim, caplog):
    client = app.test_client()
    callback = authorize_at_provider(client, ada)
    head = head_of(ledger)
    with caplog.at_level(logging.INFO, logger="service.web.pages.sso"):
        assert_refused(client.get(callback), "did not confirm")
    assert failed_claim in caplog.text, "refused for another reason than the claim"
    assert written_since(ledger, head) == ["SignInRefused"]
    assert not is_signed_in(client)


def test_a_removed_persons_live_session_ends_at_their_next_request(app, ledger, ada):
    client = app.test_client()
    client.get(authorize_at_provider(client, ada))
    assert is_signed_in(client)
    ledger.remove_person("ada@example.org", actor="test")
    assert not is_signed_in(client)
    head = head_of(ledger)
    assert_refused(client.get(authorize_at_provider(client, ada)), "role here has been removed")
    assert written_since(ledger, head) == ["SignInRefused"]
    assert not is_signed_in(client)


def test_a_departure_ends_a_members_live_session_and_refuses_them(app, ledger, issuer, world, api):
    ledger.add_person(email="ana@example.org", role="member", member="ana", actor="test")
    set_account(issuer, "ana-sub", email="ana@example.org", email_verified=True)
    client = app.test_client()
    client.get(authorize_at_provider(client, "ana-sub"))
    assert is_signed_in(client)
    assert api.patch("/api/team-members/ana", {"departed_on": days_ago(0)}).status_code == 200
    assert not is_signed_in(client)
    head = head_of(ledger)
    assert_refused(client.get(authorize_at_provider(client, "ana-sub")), "you have left")
    assert written_since(ledger, head) == ["SignInRefused"]
