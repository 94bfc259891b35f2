"""Attribution (docs/explanation/audit.md), on both stores: every token names its person, and the
events a request causes carry that person's name as `actor`, as the audit log shows.
A token naming nobody is refused; tokens issued before names were kept still work,
attributed as before."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from service.domain.tokens import ApiToken, new_secret, token_id
from tests.support.api import activity


def actors_of(api, stream_id: str) -> list[tuple[str, str]]:
    events = api.get(f"/api/audit/streams/{stream_id}").json["events"]
    return [(event["event_type"], event["actor"]) for event in events]


def test_events_carry_the_name_of_the_person_behind_the_token(api, make_token, world):
    bd = api.as_(make_token("bd", name="Bea Dev"))
    manager = api.as_(make_token("manager", name="Lee Chen"))
    member = api.as_(make_token("member", member="ana"))  # registered as "Ana"
    engagement = bd.post(
        "/api/engagements",
        {
            "name": "Docs Sprint",
            "community": "Open Data NL",
            "description": "d",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
        },
    ).json
    by_manager = manager.post(
        f"/api/allocations/{world['allocation']['id']}/activities", activity(team_member="ben")
    )
    by_member = member.post(f"/api/allocations/{world['allocation']['id']}/activities", activity())
    assert by_manager.json["recorded_by"] == "Lee Chen"
    assert by_member.json["recorded_by"] == "Ana"

    assert actors_of(api, engagement["id"]) == [("EngagementOpened", "Bea Dev")]
    assert actors_of(api, world["allocation"]["id"])[-2:] == [
        ("ActivityRecorded", "Lee Chen"),
        ("ActivityRecorded", "Ana"),
    ]
    log = api.get("/api/audit/events", limit=1000).json["items"]
    assert {item["actor"] for item in log} >= {"Bea Dev", "Lee Chen", "Ana", "Test Admin"}
    by_token_id = [a for a in (item["actor"] or "" for item in log) if ":" in a]
    assert not by_token_id


def test_the_cli_refuses_a_token_naming_nobody(app, ledger):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tokens", "create", "manager"])
    assert result.exit_code != 0
    assert '--name "Full Name"' in result.output and "--member HANDLE" in result.output
    blank = runner.invoke(args=["tokens", "create", "manager", "--name", "  "])
    assert blank.exit_code != 0 and "name" in blank.output


@pytest.mark.parametrize(
    "option, value", [("--name", "Ada\u0000"), ("--name", "\u009b31m"), ("--member", "x" * 201)]
)
def test_the_cli_refuses_a_name_the_api_would_refuse(app, ledger, option, value):
    before = ledger.recorder.max_notification_id()
    result = app.test_cli_runner().invoke(args=["tokens", "create", "viewer", option, value])
    assert result.exit_code != 0 and "the name" in result.output, result.output
    assert ledger.recorder.max_notification_id() == before


def test_the_cli_names_the_token_by_name_or_by_member(app, ledger, world):
    runner = app.test_cli_runner()
    named = runner.invoke(args=["tokens", "create", "auditor", "--name", "Ada Lovelace"])
    assert named.exit_code == 0, named.output
    assert ledger.token_for(named.stdout.strip().splitlines()[-1]).name == "Ada Lovelace"
    by_member = runner.invoke(args=["tokens", "create", "member", "--member", "ana"])
    assert by_member.exit_code == 0, by_member.output
    assert ledger.token_for(by_member.stdout.strip().splitlines()[-1]).name == "Ana"


def test_a_token_issued_before_names_still_works_attributed_as_before(api, ledger, world):
    """A `TokenIssued` as the earlier code stored it (no name, no class version)."""
    secret = new_secret()
    state = {
        "timestamp": datetime.now(UTC),
        "originator_topic": get_topic(ApiToken),
        "role": "manager",
        "member": None,
        "engagement_id": None,
        "actor": "cli",
    }
    ledger.recorder.insert_events(
        [
            StoredEvent(
                originator_id=token_id(secret),
                originator_version=1,
                topic=get_topic(ApiToken.TokenIssued),
                state=ledger.mapper.transcoder.encode(state),
            )
        ]
    )
    response = api.as_(secret).post(
        f"/api/allocations/{world['allocation']['id']}/activities", activity()
    )
    assert response.status_code == 201, response.json
    assert response.json["recorded_by"] == f"manager:{str(token_id(secret))[:8]}"
