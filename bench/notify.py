"""Notification planning benchmark: the time to plan a day's notifications for 200
members and 500 allocations, beside reading the balances they use, measured in the same
run on the same store, as ratios (these machines are shared and noisy).

    .venv/bin/python -m bench.notify --database-url postgresql://postgres@127.0.0.1/postgres
    .venv/bin/python -m bench.notify                     # SQLite in a temporary folder

On a fresh store: `--members` members with addresses, `--allocations` allocations (20 per
engagement, one per project) each provided by a member, running from 60 days ago to 30
ahead, and on each two activities of its provider's, at days and sizes that leave some
allocations quiet, some past 80 % or 100 % of their units, some ending soon; the read
models then caught up. Timed, the median of `--rounds`:
1. the baseline: the balances planning reads (`allocations_ending_from`, the balances
   read model's allocations still worth telling about);
2. gathering the planning's facts from the read models (team, balances, the last day
   worked per allocation and member, the recent activities: `planning_facts`);
3. planning over those facts alone (`plan_notices`: pure, no I/O);
4. the notifier's whole plan as a pass runs it (facts, plan, switched-off kinds,
   addresses), recording and sending nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bench.projections import store
from projections import Projections
from projections.engine.follower import Follower
from projections.reports.notices import planning_facts
from service.application import Ledger
from service.application.caller import Caller
from service.domain.notice_planning import RECENT_DAYS, plan_notices
from service.infra.notify_settings import MailSettings, NotifySettings
from service.notify.outbox import Notifier

BENCH = Caller("bench")
PER_ENGAGEMENT = 20
UNITS = 40


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="postgresql://... (default: a temporary SQLite)")
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--allocations", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)

    env, drop = store(args.database_url)
    ledger = Ledger(env=env)
    try:
        started = time.perf_counter()
        seed(ledger, args.members, args.allocations)
        projections = Projections(ledger)
        assert Follower(projections).catch_up()
        print(
            f"store: {'PostgreSQL' if args.database_url else 'SQLite'}; {args.members} members, "
            f"{args.allocations} allocations, {2 * args.allocations} activities "
            f"(seeded and caught up in {time.perf_counter() - started:.1f} s)"
        )
        run(ledger, projections, args.rounds)
    finally:
        ledger.close()
        drop()


def seed(ledger: Ledger, members: int, allocations: int) -> None:
    today = datetime.now(UTC).date()
    handles = [f"m{n:03d}" for n in range(members)]
    for n, handle in enumerate(handles):
        ledger.register_team_member(
            handle=handle,
            name=f"Member {n}",
            line_manager=f"lead{n % 10}",
            fte=Decimal("1"),
            effective_date=today - timedelta(days=400),
            email=f"{handle}@example.org",
            caller=BENCH,
        )
    engagement_id = None
    for n in range(allocations):
        if n % PER_ENGAGEMENT == 0:
            engagement_id = ledger.open_engagement(
                name=f"E{n // PER_ENGAGEMENT}",
                community="c",
                description="",
                start_date=today - timedelta(days=90),
                end_date=today + timedelta(days=90),
                contacts=[],
                caller=BENCH,
            ).value.id
        _, project_id = ledger.define_project(
            engagement_id, name=f"P{n}", outcome="o", caller=BENCH
        ).value
        provider = handles[n % members]
        allocation = ledger.grant_allocation(
            project_id,
            start_date=today - timedelta(days=60),
            end_date=today + timedelta(days=5 + n % 40),
            units=UNITS,
            description=f"A{n}",
            provider=provider,
            caller=BENCH,
        ).value
        for k in range(2):  # 2 to 16 units a day, up to 20 days back: some quiet, some spent
            day = today - timedelta(days=1 + (n * 7 + k * 11) % 20)
            ledger.record_activity(
                allocation.id,
                team_member=provider,
                units=(1, 2, 3, 5, 8)[(n + k) % 5] * (1 + n % 3),
                description="work",
                date_from=day,
                date_to=day,
                caller=BENCH,
            )


def run(ledger: Ledger, projections: Projections, rounds: int) -> None:
    settings = NotifySettings(mail=MailSettings(host="127.0.0.1"), bd_emails=("bd@example.org",))
    notifier = Notifier(
        ledger, projections, settings, public_url="http://127.0.0.1:8000", secret_key="bench"
    )
    now = datetime.now(UTC)
    since = now.date() - timedelta(days=RECENT_DAYS)
    facts = planning_facts(projections, now, settings.zone)
    local = now.replace(tzinfo=None)
    timed = {
        "balances read (baseline)": lambda: projections.view("balances").allocations_ending_from(
            since
        ),
        "planning facts (read models)": lambda: planning_facts(projections, now, settings.zone),
        "planning alone (pure)": lambda: plan_notices(facts, local, settings.rules),
        "notifier's plan (whole)": lambda: notifier.plan(now),
    }
    medians = {label: median_seconds(call, rounds) for label, call in timed.items()}
    planned = notifier.plan(now)
    kinds: dict[str, int] = {}
    for item in planned:
        kinds[str(item.notice.kind)] = kinds.get(str(item.notice.kind), 0) + 1
    by_kind = ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()))
    print(f"notices due now: {len(planned)} ({by_kind})")
    baseline = medians["balances read (baseline)"]
    for label, seconds in medians.items():
        print(f"{label:32} {seconds * 1000:8.1f} ms  {seconds / baseline:6.1f} × the balances read")


def median_seconds(call: Callable[[], Any], rounds: int) -> float:
    call()  # warm: connections, caches
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


if __name__ == "__main__":
    main()
