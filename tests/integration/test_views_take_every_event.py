"""The second wall (issue 18): whatever the commands accept, every view stores.

The input policy is the first wall: it refuses what a store or a view cannot hold. This
property test is the second: Hypothesis generates the inputs of every command, hostile
ones among them (control characters, lone surrogates, text past its limit, dates from
year 1 to 9999, numbers past int64, NaN), sends them the way they come in (the API as
an admin, HubSpot's signed webhook, the deal details the follower fetches from a stub),
and after each example every read model must have taken every event written: no view
failed, each is at the head of the log, and the reads each view serves answer. Nothing
answers 5xx. On both stores.

Examples are few and derandomized (a fixed sequence, no example database), so CI runs
the same inputs every time, in well under a minute per store.
"""

from __future__ import annotations

import itertools
import math
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from integrations.hubspot.follower import build_follower
from service.domain import engagement_id_for_deal
from service.infra.config import HubSpotSettings
from service.web.http.runtime import runtime
from tests.support.dates import TODAY
from tests.support.hubspot_deal_stub import COMPANY_BODY, deal_body
from tests.support.hubspot_follower import FakeClock, run_until_idle
from tests.support.hubspot_webhooks import PORTAL, SECRET, closed_won, deliver
from tests.support.waiting import wait_until

EXAMPLES = settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HANDLES = itertools.count(1)
HOSTILE_TEXT = st.sampled_from(
    [
        "\u0000",
        "\u0007",
        "\u001b[31m",
        "\u007f",
        "\u0085",
        "\u009b",
        "\ud800",
        "\udfff",
        "x" * 201,
        "y" * 5001,
        "",
        " ",
        "=1+2",
        "\u202eevil",
        "👩‍💻",
        "'; DROP TABLE engagements; --",
    ]
)
SAFE_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=40),
    st.sampled_from(
        ["x" * 200, "tab\there", "line\r\nbreak", "\u202eevil", "👩‍💻", "=1+2", "\u00a0", "null"]
    ),
    st.just("'; DROP TABLE engagements; --"),
)


ANY_CHARACTER = st.characters(exclude_categories=())  # surrogates too
TEXT = st.one_of(
    HOSTILE_TEXT,
    st.tuples(st.text(ANY_CHARACTER, max_size=4), HOSTILE_TEXT).map("".join),
    st.text(ANY_CHARACTER, max_size=12),
)
ANY_DAY = st.one_of(
    st.dates(date(1, 1, 1), date(9999, 12, 31)).map(date.isoformat),
    st.sampled_from(["1970-01-01", "2199-12-31", "2026-02-30", "٢٠٢٦-01-01", "", "0000-00-00"]),
)
NUMBER = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from(
        [0, -5, 100_001, 2**63, -(2**63) - 1, 1e30, math.nan, math.inf, 1.5, True, "3"]
    ),
)
PAST_DAY = st.dates(TODAY - timedelta(days=60), TODAY).map(date.isoformat)
SAFE = {  # what the policy accepts, so that each command runs on the last one's result
    "name": SAFE_TEXT,
    "community": SAFE_TEXT,
    "description": SAFE_TEXT,
    "contact": SAFE_TEXT,
    "handle": st.from_regex(r"[A-Za-z0-9._@-]{1,40}", fullmatch=True),
    "effective": st.just((TODAY - timedelta(days=365)).isoformat()),
    "start": PAST_DAY,  # the world's allocation runs from 60 days ago
    "length": st.integers(0, 400),
    "units": st.integers(1, 100_000),
    "activity_day": PAST_DAY,
    "reason": SAFE_TEXT,
}
HOSTILE = {"text": TEXT, "day": ANY_DAY, "number": NUMBER}
KIND = dict.fromkeys(("effective", "start", "activity_day"), "day")
KIND |= dict.fromkeys(("length", "units"), "number")
INPUTS = st.fixed_dictionaries(SAFE).flatmap(
    lambda safe: st.one_of(
        st.just(safe),  # every command accepts them
        st.sampled_from(sorted(SAFE)).flatmap(  # one of them spoilt: its commands refuse
            lambda name: HOSTILE[KIND.get(name, "text")].map(lambda bad: safe | {name: bad})
        ),
    )
)


def day_after(start: str, days: int) -> str:
    """`days` after `start` (before, when negative), or `start` when it is no date."""
    try:
        return (date.fromisoformat(start) + timedelta(days=days)).isoformat()
    except (TypeError, ValueError, OverflowError):
        return start


def written(kind: str, response) -> dict[str, Any] | None:
    """The written resource, or None when the service refused the input; never 5xx.
    (`--hypothesis-show-statistics` shows how often each route accepted.)"""
    assert response.status_code < 500, response.get_data(as_text=True)
    accepted = response.status_code in (200, 201)
    event(f"{kind}: {'accepted' if accepted else 'refused'}")
    return response.get_json() if accepted else None


def assert_every_view_took_everything(api, app, world) -> None:
    head = str(api.log_size())
    month = TODAY.strftime("%Y-%m")
    for path, query in (
        ("/api/engagements", {}),  # balances
        ("/api/allocations", {}),
        (f"/api/allocations/{world['allocation']['id']}/activities", {}),  # activities
        ("/api/team-members", {}),  # team
        ("/api/reports/monthly", {"month": month}),  # usage
        ("/api/reports/capacity", {"month": month}),
    ):
        response = api.get(path, min_position=head, **query)
        assert response.status_code == 200, (path, response.get_json())
    with app.app_context():
        projections = runtime().projections()
        wait_until(
            lambda: projections.failures() or min(projections.positions().values()) >= int(head)
        )
        assert projections.failures() == {}
        assert min(projections.positions().values()) >= int(head), projections.positions()


@pytest.fixture
def app_env() -> dict[str, str]:
    return {"HUBSPOT_CLIENT_SECRET": SECRET}


@settings(EXAMPLES)
@given(inputs=INPUTS)
def test_every_command_the_api_accepts_is_taken_by_every_view(api, app, world, inputs):
    name, community, description, contact, reason = (
        inputs[key] for key in ("name", "community", "description", "contact", "reason")
    )
    effective, start, units = (inputs[key] for key in ("effective", "start", "units"))
    handle = f"{inputs['handle']}{next(HANDLES)}"  # one new member an example
    activity_day = inputs["activity_day"]
    end = day_after(start, inputs["length"])
    member = written(
        "member",
        api.post(
            "/api/team-members",
            {
                "handle": handle,
                "name": name,
                "fte": "0.5",
                "line_manager": contact,
                "effective_date": effective,
            },
        ),
    )
    engagement = (
        written(
            "engagement",
            api.post(
                "/api/engagements",
                {
                    "name": name,
                    "community": community,
                    "description": description,
                    "start_date": start,
                    "end_date": end,
                    "contacts": [contact],
                },
            ),
        )
        or world["engagement"]
    )
    written(
        "details", api.patch(f"/api/engagements/{engagement['id']}", {"description": description})
    )
    project = written(
        "project",
        api.post(
            f"/api/engagements/{engagement['id']}/projects", {"name": name, "outcome": description}
        ),
    )
    allocation = world["allocation"]
    if project is not None:
        granted = {
            "start_date": start,
            "end_date": end,
            "units": units,
            "description": description,
        }
        if member is not None:
            granted["provider"] = member["handle"]
        allocation = (
            written("grant", api.post(f"/api/projects/{project['id']}/allocations", granted))
            or world["allocation"]
        )
        written(
            "amend",
            api.patch(
                f"/api/allocations/{allocation['id']}",
                {"units": units, "description": name, "reason": reason},
            ),
        )
    recorded = written(
        "activity",
        api.post(
            f"/api/allocations/{world['allocation']['id']}/activities",
            {
                "team_member": member["handle"] if member else "ana",
                "units": units,
                "description": description,
                "date_from": activity_day,
                "date_to": activity_day,
            },
        ),
    )
    if recorded is not None:
        activity = recorded["id"]
        written(
            "correction",
            api.post(
                f"/api/activities/{activity}/corrections",
                {"units": units, "description": name, "reason": reason},
            ),
        )
        written(
            "move",
            api.post(
                f"/api/activities/{activity}/move",
                {"allocation_id": allocation["id"], "reason": reason},
            ),
        )
        written(
            "retraction", api.post(f"/api/activities/{activity}/retraction", {"reason": reason})
        )
    if allocation is not world["allocation"]:
        written(
            "cancellation",
            api.post(f"/api/allocations/{allocation['id']}/cancellation", {"reason": reason}),
        )
    if engagement is not world["engagement"]:
        written(
            "closure", api.post(f"/api/engagements/{engagement['id']}/closure", {"reason": reason})
        )
    if member is not None:
        written("departure", api.client.patch(
            f"/api/team-members/{member['handle']}",
            json={"departed_on": end},
            headers=api.headers(),
        ))  # fmt: skip
    assert_every_view_took_everything(api, app, world)


DEAL_IDS = itertools.count(70_000_000_001)
MINUTE = 60_000
PROPERTY_TEXT = st.one_of(SAFE_TEXT, TEXT, PAST_DAY, ANY_DAY, NUMBER.map(str), st.none())


@settings(EXAMPLES)
@given(
    properties=st.fixed_dictionaries(
        {
            "dealname": PROPERTY_TEXT,
            "amount": PROPERTY_TEXT,
            "deal_currency_code": PROPERTY_TEXT,
            "contract_start_date": PROPERTY_TEXT,
            "contract_end_date": PROPERTY_TEXT,
            "contract_hours": PROPERTY_TEXT,
            "pipeline": PROPERTY_TEXT,
        }
    ),
    company_name=st.one_of(SAFE_TEXT, TEXT, st.none()),
    stages=st.lists(
        st.tuples(
            st.one_of(st.sampled_from(["closedwon", "closedlost"]), SAFE_TEXT, TEXT),
            st.integers(-10, 10**6),
        )
    ),
)
def test_every_deal_the_hubspot_intake_takes_is_taken_by_every_view(
    api, app, world, ledger, httpserver, hubspot_settings, properties, company_name, stages
):
    deal_id = next(DEAL_IDS)
    company_id = str(deal_id + 1)
    won_at = 1_732_715_551_737
    assert deliver(app.test_client(), [closed_won(deal_id, occurredAt=won_at)]).status_code == 204
    body = deal_body(**properties)
    body["id"] = str(deal_id)
    body["associations"]["companies"]["results"] = [{"id": company_id, "type": "deal_to_company"}]
    httpserver.expect_request(f"/crm/v3/objects/deals/{deal_id}").respond_with_json(body)
    company = {**COMPANY_BODY, "id": company_id, "properties": {"name": company_name}}
    httpserver.expect_request(f"/crm/v3/objects/companies/{company_id}").respond_with_json(company)

    clock = FakeClock()
    run_until_idle(build_follower(lambda: ledger, hubspot_settings, clock=clock), clock)
    assert ledger.engagement(engagement_id_for_deal(PORTAL, deal_id)).deal_details  # recorded

    moves = [
        closed_won(
            deal_id, propertyValue=stage, eventId=n + 1, occurredAt=won_at + minutes * MINUTE
        )
        for n, (stage, minutes) in enumerate(stages)
    ]
    assert deliver(app.test_client(), moves).status_code in (204, 400)
    assert_every_view_took_everything(api, app, world)


@pytest.fixture
def hubspot_settings(httpserver) -> HubSpotSettings:
    return HubSpotSettings(
        client_secret=SECRET,
        access_token="pat-test-token",
        api_base=f"http://{httpserver.host}:{httpserver.port}",
        timeout_seconds=5,
    )
