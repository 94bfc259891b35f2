"""Large monthly reports for the PDF test and benchmark (issue 18, point 3): an
engagement whose one allocation holds thousands of activities in a month, written
through the application layer in its import batches rather than one request each,
and a browser's signed-in session to ask for the report's PDF."""

from __future__ import annotations

import re
from datetime import timedelta

import requests

from service.application import Clock, Ledger
from service.domain.calendar import Month
from service.infra.store import persistence_environment
from service.web.schemas.import_file import read_activities
from tests.support.servers import Client

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
MEMBERS = ("ana", "ben", "caro")


def last_month() -> Month:
    return Month.of(Month.of(Clock().today()).first_day - timedelta(days=1))


def register_members(admin: Client, month: Month) -> None:
    """The members who do the work, on the team since long before `month`."""
    for handle in MEMBERS:
        admin.created(
            "/api/team-members",
            {
                "handle": handle,
                "name": handle.title(),
                "fte": "1",
                "line_manager": "lee",
                "effective_date": str(month.first_day - timedelta(days=400)),
            },
        )


def report_engagement(admin: Client, name: str, month: Month) -> tuple[str, str]:
    """An engagement with one allocation over `month`, provided by a member (see
    `register_members`): the engagement's id and the allocation's."""
    engagement = admin.created(
        "/api/engagements",
        {
            "name": name,
            "community": "Load test",
            "description": "a large monthly report",
            "start_date": str(month.first_day),
            "end_date": str(month.last_day),
        },
    )
    project = admin.created(
        f"/api/engagements/{engagement['id']}/projects", {"name": "Work", "outcome": "o"}
    )
    allocation = admin.created(
        f"/api/projects/{project['id']}/allocations",
        {
            "start_date": str(month.first_day),
            "end_date": str(month.last_day),
            "units": 100_000,
            "description": "Hours",
            "provider": MEMBERS[0],
        },
    )
    return engagement["id"], allocation["id"]


def import_activities(database_url: str, allocation_id: str, month: Month, count: int) -> None:
    """`count` activities on the allocation, spread over the month's days, imported as
    `flask import activities` would (checked, then written a thousand at a time)."""
    days = list(month.days())
    columns = "external_id,allocation_id,team_member,units,description,date_from,date_to"
    lines = [f"{columns},recorded_at"]
    for n in range(count):
        day = days[n % len(days)]
        member = MEMBERS[n % len(MEMBERS)]
        lines.append(
            f"{allocation_id}-{n},{allocation_id},{member},{n % 8 + 1},activity {n},"
            f"{day},{day},{day}T16:30:00Z"
        )
    ledger = Ledger(env=persistence_environment(database_url))
    try:
        outcome = ledger.import_activities(
            read_activities(("\n".join(lines) + "\n").encode()), actor="load"
        )
    finally:
        ledger.close()
    assert not outcome.errors and outcome.imported == count, outcome


def signed_in_browser(url: str, token: str) -> requests.Session:
    """A session signed in through the sign-in form, as a browser is."""
    browser = requests.Session()
    form = browser.get(f"{url}/sign-in", timeout=30)
    csrf = CSRF_INPUT.search(form.text)
    assert form.status_code == 200 and csrf, form.text[:500]
    signed_in = browser.post(
        f"{url}/sign-in",
        data={"token": token, "csrf_token": csrf[1]},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 303 and browser.cookies, signed_in.text[:500]
    return browser
