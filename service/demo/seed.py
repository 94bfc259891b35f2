"""A demo ledger, so that a newcomer opening the web app sees every page filled in
(`flask --app wsgi demo seed`, run by `make run DEMO=1`).

Everything is written through the application layer, with the same commands and rules
as the API: the demo cannot show a state the service itself could never reach.

Time. An activity's timestamp is the moment it was recorded, and lateness is judged
from it; written all at once today, four months of work would all be late. So the
seed replays the months as they would have happened: grants and recordings run in
date order on a `ReplayClock` moved from one plausible moment to the next (most work
recorded the same day or within a few days, a handful more than 14 days later), and
the ledger stamps each with that moment. The team, the engagements and their projects,
the one correction and the one retraction, and the tokens are written at the real now
(they take no moment), after or before the replayed months, so every allocation's
stream stays in time order and its balance can be shown as of any past moment.

Idempotent: the demo's first write, the first engagement, has a fixed id; when it is
in the store the seed says so and writes nothing. Every write has a fixed request id
too. A seed interrupted part-way leaves a partial demo: start again on an empty store.
Token secrets are kept only as hashes, so they are shown once, when seeded, and written
to a file readable only by its owner.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TextIO
from uuid import UUID

from service.application import Ledger
from service.application.caller import Caller
from service.application.clock import ReplayClock
from service.demo.plan import (
    ADMIN,
    AUDITOR,
    BD,
    ENGAGEMENTS,
    FIRST_ENGAGEMENT,
    MANAGER,
    MEMBERS,
    PROJECTS,
    TEAM_STARTED,
    VIEWER,
    Activity,
    Grant,
    Plan,
    demo_id,
    engagement_start,
    month_start,
    plan_demo,
    smaller,
)
from service.domain import team_member_id


@dataclass(frozen=True)
class DemoToken:
    """A token issued for the demo, with its secret (the store keeps only its hash)."""

    role: str
    name: str
    secret: str


@dataclass
class Demo:
    """What the seed made: ids by key, and the tokens (their secrets shown once)."""

    engagements: dict[str, UUID] = field(default_factory=dict)
    allocations: dict[str, UUID] = field(default_factory=dict)
    tokens: list[DemoToken] = field(default_factory=list)
    activities: int = 0


def seed_demo(
    ledger: Ledger, *, now: datetime, out: TextIO, tokens_file: Path | None = None
) -> Demo | None:
    """Seed the demo into the ledger's store unless it is there (then None). `now`:
    the real moment (no recording is stamped after it); progress lines go to `out`,
    and at the end the tokens, also written to `tokens_file` (mode 0600)."""
    if ledger.exists(FIRST_ENGAGEMENT):
        kept = f" and kept in {tokens_file}" if tokens_file and tokens_file.exists() else ""
        out.write(
            f"demo already seeded (engagement {FIRST_ENGAGEMENT}); nothing written. Its "
            f"tokens were shown when it was seeded{kept}; more: `flask --app wsgi tokens create`.\n"
        )
        return None
    plan = plan_demo(now)
    today = now.date()
    demo = Demo()
    out.write("engagements… ")
    for key, (name, community, description, start) in ENGAGEMENTS.items():
        opened = ledger.open_engagement(
            name=name,
            community=community,
            description=description,
            start_date=engagement_start(today, start),
            end_date=month_start(today, 3) - timedelta(days=1),
            contacts=[],
            caller=Caller(BD, request_id=demo_id(f"engagement:{key}")),
        )
        demo.engagements[key] = opened.value.id
    out.write("members… ")
    for handle, name, manager, fte in MEMBERS:
        if not ledger.exists(team_member_id(handle)):
            ledger.register_team_member(
                handle=handle,
                name=name,
                line_manager=manager,
                fte=Decimal(fte),
                effective_date=TEAM_STARTED,
                caller=Caller(MANAGER, request_id=demo_id(f"member:{handle}")),
            )
    # A capacity with a history: Jonas went from half to 0.6 time last month.
    ledger.update_team_member(
        "jonas",
        fte=Decimal("0.6"),
        effective_date=month_start(today, -1),
        caller=Caller(MANAGER, request_id=demo_id("capacity:jonas")),
    )
    out.write("projects…\n")
    projects = {}
    for key, (engagement, name, outcome) in PROJECTS.items():
        defined = ledger.define_project(
            demo.engagements[engagement],
            name=name,
            outcome=outcome,
            caller=Caller(BD, request_id=demo_id(f"project:{key}")),
        )
        projects[key] = defined.value[1]
    _replay(ledger, plan, projects, demo, out)
    out.write("a correction and a retraction…\n")
    _correct_and_retract(ledger, plan)
    demo.tokens = _issue_tokens(ledger)
    _show_tokens(demo.tokens, out, tokens_file)
    return demo


def _replay(ledger: Ledger, plan: Plan, projects: dict[str, UUID], demo: Demo, out: TextIO) -> None:
    """Grant and record in time order, each at its moment (see the module docstring)."""
    names = {handle: name for handle, name, _, _ in MEMBERS}
    steps: list[tuple[datetime, Grant | Activity]] = [
        (plan.granted_at[g.key], g) for g in plan.grants
    ]
    steps += [(a.recorded_at, a) for a in plan.activities]
    steps.sort(key=lambda step: (step[0], isinstance(step[1], Activity)))
    total = len(plan.activities)
    with replaying(ledger, steps[0][0]) as clock:
        for moment, step in steps:
            clock.at = moment
            if isinstance(step, Grant):
                start, end = plan.periods[step.key]
                granted = ledger.grant_allocation(
                    projects[step.project],
                    start_date=start,
                    end_date=end,
                    units=plan.units[step.key],
                    description=step.description,
                    provider=step.team[0],
                    caller=Caller(BD, request_id=demo_id(f"allocation:{step.key}")),
                )
                demo.allocations[step.key] = granted.value.id
                continue
            ledger.record_activity(
                demo.allocations[step.grant],
                team_member=step.member,
                units=step.units,
                description=step.description,
                date_from=step.date_from,
                date_to=step.date_to,
                caller=Caller(names[step.member], request_id=step.id),
            )
            demo.activities += 1
            if demo.activities % 50 == 0 or demo.activities == total:
                out.write(f"activities {demo.activities}/{total}\n")


@contextmanager
def replaying(ledger: Ledger, start: datetime) -> Iterator[ReplayClock]:
    """The ledger on a clock the caller moves; its own clock back afterwards, whatever
    happens. Only for a ledger nothing else writes with meanwhile (a CLI process)."""
    own = ledger.clock
    clock = ReplayClock(start)
    ledger.clock = clock
    try:
        yield clock
    finally:
        ledger.clock = own


def _correct_and_retract(ledger: Ledger, plan: Plan) -> None:
    names = {handle: name for handle, name, _, _ in MEMBERS}
    corrected = plan.corrected
    ledger.correct_activity(
        corrected.id,
        changes={"units": smaller(corrected.units)},
        reason="Entered too many units: the work took less time",
        caller=Caller(names[corrected.member], request_id=demo_id("correction")),
    )
    ledger.retract_activity(
        plan.duplicate.id,
        reason="Recorded twice: the same call is already in the ledger",
        caller=Caller(names[plan.duplicate.member], request_id=demo_id("retraction")),
    )


def _issue_tokens(ledger: Ledger) -> list[DemoToken]:
    """A token for each kind of person; the viewer sees only the Jupyter engagement."""
    wanted: list[tuple[str, str | None, UUID | None, str | None]] = [
        ("admin", None, None, ADMIN),
        ("bd", None, None, BD),
        ("manager", MEMBERS[0][0], None, None),
        *(("member", handle, None, None) for handle, _, _, _ in MEMBERS),
        ("auditor", None, None, AUDITOR),
        ("viewer", None, FIRST_ENGAGEMENT, VIEWER),
    ]
    tokens = []
    for role, member, engagement_id, name in wanted:
        secret, token = ledger.issue_token(
            role=role, member=member, engagement_id=engagement_id, name=name, actor="demo seed"
        )
        tokens.append(DemoToken(role, token.name or "", secret))
    return tokens


def _show_tokens(tokens: list[DemoToken], out: TextIO, tokens_file: Path | None) -> None:
    """The tokens as a table "role  name  token", on `out` and in `tokens_file`."""
    table = _table(tokens, "token", [t.secret for t in tokens])
    out.write("\nSign in to the web app with one of these tokens (shown once):\n\n" + table)
    if tokens_file is not None:
        tokens_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(tokens_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.chmod(tokens_file, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(table)
        out.write(f"\n(also in {tokens_file}, readable only by you)\n")


def kept_tokens(tokens_file: Path) -> list[DemoToken]:
    """The tokens `_show_tokens` kept in `tokens_file` (none if it is not there): a
    demo seeded before can still be signed in to, with new links."""
    if not tokens_file.exists():
        return []
    rows = [line.split() for line in tokens_file.read_text().splitlines()[1:] if line.strip()]
    return [DemoToken(row[0], " ".join(row[1:-1]), row[-1]) for row in rows]


def show_sign_in_links(
    tokens: list[DemoToken], link: Callable[[str], str], minutes: int, out: TextIO
) -> None:
    """A one-time sign-in link for each token, as a table "role  name  link" on `out`;
    `link` makes one, valid `minutes`, from a token's secret. Links are not kept: each
    works once."""
    out.write(
        f"\nOr open one of these links: each signs its person in once, "
        f"within {minutes} minutes:\n\n"
    )
    out.write(_table(tokens, "sign-in link", [link(t.secret) for t in tokens]))


def _table(tokens: list[DemoToken], heading: str, values: list[str]) -> str:
    """One row per token: its role, its person's name and `values`' item, in columns."""
    width = max(len(t.name) for t in tokens)
    rows = [f"{'role':<8}  {'name':<{width}}  {heading}"]
    rows += [f"{t.role:<8}  {t.name:<{width}}  {v}" for t, v in zip(tokens, values, strict=True)]
    return "\n".join(rows) + "\n"
