"""The token command, and the answer when the event store is unreachable."""

import pytest

from service.bootstrap import create_app
from service.infra.config import Settings


def test_tokens_create_prints_only_the_token_on_its_last_line(app, ledger):
    result = app.test_cli_runner().invoke(
        args=["tokens", "create", "viewer", "--name", "Vera Viewer"]
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    assert secret.startswith("ces_") and " " not in secret
    assert ledger.token_for(secret).role == "viewer"


def test_a_revoked_token_is_refused(app, ledger):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["tokens", "create", "auditor", "--name", "Ada Auditor"])
    secret = created.stdout.strip().splitlines()[-1]
    assert runner.invoke(args=["tokens", "revoke", secret]).exit_code == 0
    assert ledger.token_for(secret) is None
    response = app.test_client().get(
        "/api/team-members", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 401
    again = runner.invoke(args=["tokens", "revoke", secret])
    assert again.exit_code != 0 and "already revoked" in again.output


def test_a_member_token_needs_a_registered_member(app):
    result = app.test_cli_runner().invoke(args=["tokens", "create", "member", "--member", "ghost"])
    assert result.exit_code != 0
    assert "ghost is not a registered team member" in result.output


def test_an_unknown_role_is_refused(app):
    result = app.test_cli_runner().invoke(args=["tokens", "create", "root", "--name", "R"])
    assert result.exit_code != 0 and "root" in result.output


@pytest.mark.postgres
def test_an_unreachable_database_answers_503_with_retry_after():
    # Port 9 (discard) has no PostgreSQL: every store call fails to connect.
    app = create_app(
        Settings.from_environment({"DATABASE_URL": "postgresql://postgres@127.0.0.1:9/none"})
    )
    client = app.test_client()
    response = client.post(
        "/api/engagements", json={"name": "x"}, headers={"Authorization": "Bearer ces_anything"}
    )
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"].isdigit()
    assert response.mimetype == "application/problem+json"
    assert client.get("/healthz").status_code == 200
