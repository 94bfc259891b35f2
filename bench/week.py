"""Week benchmark: a 7 × 8 week (56 cells) saved in one save beside the same 56
activities recorded one request at a time, in the same run, as times and a ratio
(these machines are shared and noisy: only the ratio travels).

    .venv/bin/python -m bench.week --database-url postgresql://postgres@127.0.0.1/postgres
    .venv/bin/python -m bench.week --rounds 5          # SQLite in a temporary folder

On a fresh store: a member providing 8 allocations. Each round fills two weeks not
filled before, each of 8 allocations × 7 days, one cell of 1 to 8 units each; which
way goes first alternates by round. Measured at two levels, from one client, one
request after another:
1. through the app (Flask's test client: the whole WSGI stack, no socket): one
   `POST /my/week` of the 56 cells (signed in, with its CSRF token and form key,
   "Save anyway" for the late ones) against 56 `POST /api/allocations/{id}/activities`;
2. the ledger alone: one `Ledger.save_week` against 56 `Ledger.record_activity`.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import psycopg
from flask import Flask
from flask.testing import FlaskClient

from service.application import Clock, Ledger
from service.application.caller import Caller
from service.bootstrap import create_app
from service.domain.week import Cell, Entry, Week
from service.infra.config import Settings
from service.web.http.runtime import ledger as app_ledger
from service.web.http.runtime import runtime

ROWS = 8
MEMBER = "ana"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="postgresql://... (default: a temporary SQLite)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    url, drop = database(args.database_url)
    app = create_app(Settings.from_environment({"DATABASE_URL": url}))
    with app.app_context():
        # Only to reach the ledger: requests must each have an app context (and `g`)
        # of their own, as they would in gunicorn.
        ledger = app_ledger()
    try:
        run(app, ledger, args.rounds, "PostgreSQL" if args.database_url else "SQLite")
    finally:
        with app.app_context():
            runtime().close()
        drop()


def database(database_url: str | None) -> tuple[str, Callable[[], None]]:
    """A fresh SQLite file or PostgreSQL schema, and how to remove it."""
    if database_url is None:
        import shutil
        import tempfile

        folder = tempfile.mkdtemp(prefix="bench-week-")
        return f"sqlite:///{folder}/ledger.sqlite3", lambda: shutil.rmtree(folder, True)
    base = database_url.split("?")[0]
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    return f"{base}?schema={schema}", drop


def run(app: Flask, ledger: Ledger, rounds: int, store: str) -> None:
    admin_secret, _ = ledger.issue_token(
        role="admin", member=None, engagement_id=None, actor="bench", name="Bench Admin"
    )
    admin = Api(app.test_client(), admin_secret)
    allocations = world(admin)
    member_secret, _ = ledger.issue_token(
        role="member", member=MEMBER, engagement_id=None, actor="bench"
    )
    member = Api(app.test_client(), member_secret)
    page = signed_in(app.test_client(), member_secret)
    caller = Caller(actor=MEMBER, role="member", member=MEMBER)
    today = Clock().today()
    weeks = iter(Week.of(today - timedelta(days=7 * n)) for n in range(1, 4 * rounds + 1))

    timings: dict[str, list[float]] = {name: [] for name in ("page", "api", "save", "record")}
    for round_ in range(rounds):
        pairs = (
            ("page", lambda week: save_page(page, week, allocations)),
            ("api", lambda week: record_each_over_api(member, week, allocations)),
            (
                "save",
                lambda week: ledger.save_week(MEMBER, week, grid(week, allocations), caller=caller),
            ),
            ("record", lambda week: record_each(ledger, caller, week, allocations)),
        )
        for name, action in pairs if round_ % 2 == 0 else pairs[::-1]:
            week = next(weeks)
            started = time.perf_counter()
            action(week)
            timings[name].append(time.perf_counter() - started)

    for allocation in allocations:
        listed = admin.client.get(
            f"/api/allocations/{allocation}/activities", headers=admin.headers
        )
        assert len(listed.json["items"]) == 7 * len(pairs) * rounds, "a way wrote too little"
    cells = ROWS * 7
    print(f"{store}: a week of {ROWS} rows × 7 days ({cells} cells), median of {rounds} rounds")
    print(f"{'level':<8}{'one save ms':>14}{f'{cells} one by one ms':>22}{'ratio':>8}")
    for level, one, each in (("app", "page", "api"), ("ledger", "save", "record")):
        once, one_by_one = (statistics.median(timings[name]) * 1000 for name in (one, each))
        print(f"{level:<8}{once:>14.0f}{one_by_one:>22.0f}{one_by_one / once:>8.1f}")


class Api:
    """A token's JSON client over Flask's test client."""

    def __init__(self, client: FlaskClient, secret: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}"}

    def created(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(path, json=body, headers=self.headers)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.json


def world(admin: Api) -> list[str]:
    """The member and the allocations they provide, from 300 days ago to 30 ahead."""
    today = Clock().today()
    admin.created(
        "/api/team-members",
        {
            "handle": MEMBER,
            "name": "Ana",
            "fte": "1",
            "line_manager": "lee",
            "effective_date": (today - timedelta(days=400)).isoformat(),
        },
    )
    engagement = admin.created(
        "/api/engagements",
        {
            "name": "Bench",
            "community": "Bench",
            "description": "week benchmark",
            "start_date": (today - timedelta(days=365)).isoformat(),
            "end_date": (today + timedelta(days=365)).isoformat(),
        },
    )
    allocations = []
    for n in range(ROWS):
        project = admin.created(
            f"/api/engagements/{engagement['id']}/projects", {"name": f"P{n}", "outcome": "o"}
        )
        allocation = admin.created(
            f"/api/projects/{project['id']}/allocations",
            {
                "start_date": (today - timedelta(days=300)).isoformat(),
                "end_date": (today + timedelta(days=30)).isoformat(),
                "units": 100_000,
                "description": f"row {n}",
                "provider": MEMBER,
            },
        )
        allocations.append(allocation["id"])
    return allocations


def signed_in(client: FlaskClient, secret: str) -> tuple[FlaskClient, str]:
    """A browser's session: signed in through the form; its CSRF token."""
    token = CSRF.search(client.get("/sign-in").get_data(as_text=True))
    assert token
    answer = client.post("/sign-in", data={"token": secret, "csrf_token": token[1]})
    assert answer.status_code == 303
    home = client.get("/my/week").get_data(as_text=True)
    found = CSRF.search(home)
    assert found
    return client, found[1]


def units_of(row: int, day: int) -> int:
    return (1, 2, 3, 5, 8)[(row + day) % 5]


def grid(week: Week, allocations: list[str]) -> dict[Cell, Entry | None]:
    return {
        Cell(uuid.UUID(allocation), day): Entry(units_of(r, d), f"row {r}")
        for r, allocation in enumerate(allocations)
        for d, day in enumerate(week.days)
    }


def save_page(page: tuple[FlaskClient, str], week: Week, allocations: list[str]) -> None:
    client, csrf = page
    form = {"csrf_token": csrf, "form_key": uuid.uuid4().hex, "week": str(week), "confirm": "yes"}
    for cell, entry in grid(week, allocations).items():
        assert entry is not None
        form[f"u.{cell.allocation_id}.{cell.day.isoformat()}"] = str(entry.units)
        form[f"r.{cell.allocation_id}"] = entry.description
    response = client.post("/my/week", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]


def record_each_over_api(member: Api, week: Week, allocations: list[str]) -> None:
    for cell, entry in grid(week, allocations).items():
        assert entry is not None
        member.created(
            f"/api/allocations/{cell.allocation_id}/activities",
            {
                "team_member": MEMBER,
                "units": entry.units,
                "description": entry.description,
                "date_from": cell.day.isoformat(),
                "date_to": cell.day.isoformat(),
            },
        )


def record_each(ledger: Ledger, caller: Caller, week: Week, allocations: list[str]) -> None:
    for cell, entry in grid(week, allocations).items():
        assert entry is not None
        ledger.record_activity(
            cell.allocation_id,
            caller=caller,
            team_member=MEMBER,
            units=entry.units,
            description=entry.description,
            date_from=cell.day,
            date_to=cell.day,
        )


if __name__ == "__main__":
    main()
