"""What the demo contains: its people, engagements, projects and allocations, and the
activities recorded on them, each with the moment it is recorded. Worked out whole
before anything is written (service/demo/seed.py writes it), from the day alone: the same
day gives the same demo, so a seed can be checked and reasoned about.

The shapes are chosen so that every page has something to show: a completed
allocation, active ones on track, behind and nearly exhausted, an upcoming one; work on
the 1/2/3/5/8 scale, mostly recorded within a few days, a handful more than 14 days
late; one activity corrected and one recorded twice and retracted; a provider with
nothing recorded this month, for the manager's review.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from service.domain.balance import percent_elapsed
from service.domain.calendar import Month, add_months, is_working_day

NAMESPACE = uuid5(NAMESPACE_URL, "urn:community-enablement:demo")


def demo_id(key: str) -> UUID:
    """The fixed id (request id) of one write of the demo."""
    return uuid5(NAMESPACE, key)


FIRST_ENGAGEMENT = demo_id("engagement:jupyter")

# When the team started: before the spreadsheet history of 2024 that the samples under
# docs/ import, since work is recorded only for days a member was on the team.
TEAM_STARTED = date(2024, 1, 1)

# handle, name, line manager, FTE. Amara leads the team (and holds the manager token);
# Rosa, her own manager, records nothing and is not a member.
MEMBERS = (
    ("amara", "Amara Nwosu", "rosa", "0.8"),
    ("jonas", "Jonas Becker", "amara", "0.5"),
    ("priya", "Priya Raman", "amara", "1"),
    ("tomas", "Tomás Ortega", "amara", "0.6"),
)
MANAGER = MEMBERS[0][1]  # registers the team
ADMIN = "Lena Fischer"  # runs the service: every page and command
BD = "Sofia Marchetti"  # opens the engagements, defines the projects, grants
AUDITOR = "Kwame Mensah"
VIEWER = "Noor Haddad (Project Jupyter)"

# When the Jupyter engagement began: its first months are the spreadsheet history the
# samples under docs/ import (docs/how-to/import-history.md), which must lie within it.
HISTORY_STARTED = date(2024, 7, 1)

# key: name, community, description, start: its first month (0 = this one) or its first
# day; both end in two months. The second, small one is there so that the viewer's token
# has one it must not see.
ENGAGEMENTS: dict[str, tuple[str, str, str, int | date]] = {
    "jupyter": (
        "Jupyter Community Enablement",
        "Project Jupyter",
        "Help the Jupyter community grow its documentation and contributor base",
        HISTORY_STARTED,
    ),
    "open-data": (
        "Open Data Week",
        "Open Data NL",
        "Help the community run its first data week",
        -2,
    ),
}
# key: engagement, name, outcome
PROJECTS = {
    "docs": ("jupyter", "Documentation", "Newcomers install, use and extend JupyterLab"),
    "onboarding": (
        "jupyter",
        "Contributor onboarding",
        "A new contributor lands a first pull request within a month",
    ),
    "health": (
        "jupyter",
        "Community health",
        "The community runs its survey and code-of-conduct process itself",
    ),
    "guide": ("open-data", "Data publishing guide", "Volunteers publish a data set alone"),
}

# What each size of the suggested scale is, per project (docs/explanation/domain.md: 1 an
# email or short call, 2 a meeting with preparation, 3 a review or a document, 5 half a
# day, 8 a day).
TEXTS = {
    "docs": {
        1: ("Answered a docs question on Discourse", "Short call about the docs build"),
        2: ("Docs working group meeting", "Planned the docs sprint with the maintainers"),
        3: ("Reviewed the getting-started guide PR", "Rewrote the pip and conda install page"),
        5: ("Drafted the extension-author tutorial", "Docs office hours and follow-up PRs"),
        8: ("Docs sprint: pairing with new writers", "Migrated the API reference pages"),
    },
    "onboarding": {
        1: ("Welcomed new contributors on Zulip", "Email about a stalled first PR"),
        2: ("Mentoring call with a new contributor", "Contributor onboarding call"),
        3: ("Reviewed first-time contributor PRs", "Updated CONTRIBUTING.md"),
        5: ("Triaged and labelled good first issues", "Prepared the contributor workshop"),
        8: ("Ran the contributor workshop", "Pair-programmed a first extension"),
    },
    "health": {
        1: ("Emails with the code-of-conduct committee", "Short call with a council member"),
        2: ("Steering council meeting", "Survey planning meeting"),
        3: ("Drafted the community survey questions", "Reviewed the incident process draft"),
        5: ("Analysed the survey answers", "Wrote the code-of-conduct handbook"),
        8: ("Facilitated the governance workshop", "Community health retreat"),
    },
    "guide": {
        1: ("Answered a volunteer's question", "Short call with the organisers"),
        2: ("Call with Open Data NL organisers", "Planning meeting for the data week"),
        3: ("Reviewed the data publishing guide", "Wrote the licence checklist"),
        5: ("Prepared the data week workshop", "Tested the guide with two volunteers"),
        8: ("Ran the data week workshop", "Publishing clinic at the data week"),
    },
}
SCALE = (1, 2, 3, 5, 8)
WEIGHTS = (25, 30, 25, 12, 8)
LATE_ENTRIES = 6


@dataclass(frozen=True)
class Grant:
    """One allocation of the demo. `months`: its first month (0 = this one) and how
    many; `shape`: what its balance shows today; `team`: who records on it, the
    provider first; `activities`: how many are recorded on it."""

    key: str
    project: str
    description: str
    months: tuple[int, int]
    shape: str  # completed, on track, nearly exhausted, behind (quiet this month), upcoming
    team: tuple[str, ...]
    activities: int


GRANTS = (
    Grant("docs-1", "docs", "Docs sprint hours", (-4, 2), "completed", ("jonas", "priya"), 42),
    Grant("docs-2", "docs", "Documentation hours", (-2, 3), "on track", ("jonas", "tomas"), 44),
    Grant(
        "onboarding-1",
        "onboarding",
        "Onboarding hours",
        (-3, 4),
        "nearly exhausted",
        ("priya", "tomas", "amara"),
        30,
    ),
    Grant("onboarding-2", "onboarding", "Onboarding, next term", (1, 2), "upcoming", ("priya",), 0),
    Grant(
        "health-1", "health", "Community health hours", (-1, 3), "behind", ("amara", "jonas"), 10
    ),
    Grant("guide-1", "guide", "Data week support", (-2, 4), "on track", ("tomas", "jonas"), 22),
)


@dataclass(frozen=True)
class Activity:
    """A planned recording: the work, and the moment it is recorded."""

    id: UUID
    grant: str
    member: str
    units: int
    description: str
    date_from: date
    date_to: date
    recorded_at: datetime


@dataclass(frozen=True)
class Plan:
    """The whole demo, worked out before anything is written."""

    grants: tuple[Grant, ...]
    periods: dict[str, tuple[date, date]]
    units: dict[str, int]
    granted_at: dict[str, datetime]
    activities: list[Activity]
    corrected: Activity  # recorded, then its units corrected downwards
    duplicate: Activity  # recorded twice by mistake, then retracted


def month_start(today: date, offset: int) -> date:
    """The first day of the month `offset` months from today's."""
    return add_months(Month.of(today), offset).first_day


def engagement_start(today: date, start: int | date) -> date:
    """An engagement's first day: a fixed day, or the first of its first month."""
    return start if isinstance(start, date) else month_start(today, start)


def plan_demo(now: datetime) -> Plan:
    """The demo around `now`: the same day gives the same plan (a fixed seed)."""
    rng = random.Random(20240501)
    today = now.date()
    periods = {
        g.key: (
            month_start(today, g.months[0]),
            month_start(today, g.months[0] + g.months[1]) - timedelta(days=1),
        )
        for g in GRANTS
    }
    activities: list[Activity] = []
    for grant in GRANTS:
        start, end = periods[grant.key]
        last = min(end, today - timedelta(days=1))
        if grant.shape == "behind":  # and quiet this month: its provider shows as silent
            last = min(last, month_start(today, 0) - timedelta(days=1))
        days = [d for d in _days(start, last) if is_working_day(d)]
        for _ in range(grant.activities):
            day = rng.choice(days)
            units = rng.choices(SCALE, WEIGHTS)[0]
            member = grant.team[0] if rng.random() < 0.6 else rng.choice(grant.team)
            first = day - timedelta(days=1)
            two_days = (
                units == 8 and first >= start and is_working_day(first) and rng.random() < 0.4
            )
            lag = rng.choices((0, 1, 2, 3, 4), (50, 25, 12, 8, 5))[0]
            activities.append(
                Activity(
                    id=demo_id(f"activity:{len(activities)}"),
                    grant=grant.key,
                    member=member,
                    units=units,
                    description=rng.choice(TEXTS[grant.project][units]),
                    date_from=first if two_days else day,
                    date_to=day,
                    recorded_at=_moment(rng, day + timedelta(days=lag), now),
                )
            )
    old = [a for a in activities if (today - a.date_to).days >= 20]
    for late in rng.sample(old, LATE_ENTRIES):
        lag = rng.randint(16, min(30, (today - late.date_to).days - 1))
        moment = _moment(rng, late.date_to + timedelta(days=lag), now)
        activities[activities.index(late)] = replace(late, recorded_at=moment)
    corrected = max((a for a in activities if a.grant == "docs-2"), key=lambda a: a.units)
    original = min(
        (a for a in activities if a.grant == "onboarding-1"),
        key=lambda a: (a.units != 2, a.recorded_at),
    )
    duplicate = replace(
        original,
        id=demo_id("activity:duplicate"),
        recorded_at=min(original.recorded_at + timedelta(hours=2), now - timedelta(minutes=1)),
    )
    activities.append(duplicate)
    activities.sort(key=lambda a: a.recorded_at)
    used = {g.key: 0 for g in GRANTS}
    for a in activities:
        used[a.grant] += a.units
    used[corrected.grant] -= corrected.units - smaller(corrected.units)
    used[duplicate.grant] -= duplicate.units
    units = {g.key: _granted(g, used[g.key], *periods[g.key], today) for g in GRANTS}
    granted_at = {g.key: _grant_moment(periods[g.key][0], today, now) for g in GRANTS}
    return Plan(GRANTS, periods, units, granted_at, activities, corrected, duplicate)


def _days(first: date, last: date) -> Iterator[date]:
    while first <= last:
        yield first
        first += timedelta(days=1)


def _moment(rng: random.Random, day: date, now: datetime) -> datetime:
    """Late afternoon of `day` (UTC), never after `now`."""
    moment = datetime.combine(day, time(15, 0), UTC) + timedelta(minutes=rng.randint(0, 180))
    return min(moment, now - timedelta(minutes=1))


def _grant_moment(start: date, today: date, now: datetime) -> datetime:
    """A week before the period starts, or three days ago for one not yet begun."""
    day = min(start - timedelta(days=7), today - timedelta(days=3))
    return min(datetime.combine(day, time(10, 0), UTC), now - timedelta(hours=1))


def _granted(grant: Grant, used: int, start: date, end: date, today: date) -> int:
    """Units to grant so that, after its activities, the balance shows `grant.shape`."""
    elapsed = percent_elapsed(start, end, today) / 100
    if grant.shape == "upcoming":
        return 40
    if grant.shape == "nearly exhausted":
        return used + 2
    # Behind: used at half the pace of time, more than 15 points under it, as health-1
    # is always at least a third through (it began last month). Rounded up to 4 hours.
    share = {"completed": 0.9, "on track": elapsed, "behind": elapsed / 2}[grant.shape]
    return max(4 * math.ceil(used / share / 4), used + 1)


def smaller(units: int) -> int:
    """The next size down the scale: what a correction of `units` brings it to."""
    return SCALE[SCALE.index(units) - 1]
