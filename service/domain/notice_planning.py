"""Planning the notices due at a moment: pure functions of the read models' facts
(notices.py), the calendar and the rules, no I/O, so each kind's "when" is stated and
tested here alone. Planning the same moment twice gives the same notices, with the same
ids: a notice already recorded is never recorded again (docs/explanation/notifications.md).

- Missing time: the provider of an active allocation who has recorded nothing on it for
  `quiet_days` working days (counted from the day after the last day of their latest
  entry on it, or from its start, to yesterday). One per quiet spell: its period is the
  spell's first day, so a new entry starts a new spell.
- Late soon: a member's working days, within an allocation they provide, that nothing of
  theirs covers and that turn late (more than 14 days after) within `late_soon_days`.
  One per member and ISO week of those days.
- Budget threshold: an allocation whose units used reach each threshold (80 %, 100 %)
  tells its provider, BD and the team's channel, once per threshold ever (its period is
  the threshold): a correction under and over again does not repeat it. Allocations
  cancelled, or ended more than 14 days ago, are left alone.
- Ending unused: `ending_days` before an allocation ends, with more than
  `ending_unused_percent` of its units unused, tell its provider, BD and the channel;
  its period is the end date, so an extension is told again.
- Weekly digest: from `digest_hour` on `digest_weekday` (NOTIFY_TIMEZONE) to the week's
  end, each line manager whose reports recorded late in the past seven days, or provided
  an allocation and recorded nothing on it for those days, gets one digest (its period
  the digest's day). A week with nothing to tell sends none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta

from service.domain.balance import LATE_AFTER_DAYS, status
from service.domain.calendar import is_working_day, working_day_count
from service.domain.notices import (
    BD,
    TEAM_CHANNEL,
    AllocationFacts,
    Kind,
    MemberFacts,
    Notice,
    NoticeRules,
    PlanningFacts,
    WorkFacts,
)

DAY = timedelta(days=1)
RECENT_DAYS = LATE_AFTER_DAYS + 7
"""How far back the work facts must reach (date_to or recorded): the late-soon window
(14 days) and the digest's past week (at most 13 days back), with room to spare."""


def plan_notices(facts: PlanningFacts, now: datetime, rules: NoticeRules) -> list[Notice]:
    """Every notice due at `now` (local time in NOTIFY_TIMEZONE), in a stable order."""
    today = now.date()
    notices = [
        *missing_time(facts, today, rules),
        *late_soon(facts, today, rules),
        *budget_thresholds(facts, today, rules),
        *ending_unused(facts, today, rules),
        *weekly_digests(facts, now, rules),
    ]
    return sorted(notices, key=lambda n: (n.kind, n.subject, n.period, n.recipient))


def missing_time(facts: PlanningFacts, today: date, rules: NoticeRules) -> Iterator[Notice]:
    members = {member.handle: member for member in facts.members}
    for allocation in facts.allocations:
        member = members.get(allocation.provider or "")
        if member is None or _gone(member, today) or _status(allocation, today) != "active":
            continue
        since = allocation.start
        if allocation.provider_last_day is not None:
            since = max(since, allocation.provider_last_day + DAY)
        quiet = working_day_count(since, today - DAY)
        if quiet >= rules.quiet_days:
            yield Notice(
                Kind.MISSING_TIME,
                allocation.id,
                since.isoformat(),
                member.handle,
                {**_about(allocation), "since": since.isoformat(), "working_days": quiet},
            )


def late_soon(facts: PlanningFacts, today: date, rules: NoticeRules) -> Iterator[Notice]:
    """The days whose last day for recording on time (the day + 14) is from today to
    `late_soon_days` ahead; each week's reminder lists that week's uncovered days not yet
    late, up to yesterday."""
    first_due = today - timedelta(days=LATE_AFTER_DAYS)
    last_due = first_due + timedelta(days=rules.late_soon_days)
    covered = _covered_days(facts.work)
    provided = _provided(facts.allocations)
    for member in facts.members:
        open_days = [
            day
            for day in _days(first_due, today - DAY)
            if is_working_day(day)
            and _on_team(member, day)
            and any(_running_on(a, day) for a in provided.get(member.handle, ()))
            and day not in covered[member.handle]
        ]
        for week in sorted({_iso_week(day) for day in open_days if day <= last_due}):
            days = [day for day in open_days if _iso_week(day) == week]
            yield Notice(
                Kind.LATE_SOON,
                member.handle,
                week,
                member.handle,
                {
                    "days": [d.isoformat() for d in days],
                    "late_after": (days[0] + timedelta(days=LATE_AFTER_DAYS)).isoformat(),
                },
            )


def budget_thresholds(facts: PlanningFacts, today: date, rules: NoticeRules) -> Iterator[Notice]:
    for allocation in facts.allocations:
        if (
            allocation.cancelled_on is not None
            or allocation.units <= 0
            or allocation.end < today - timedelta(days=LATE_AFTER_DAYS)
        ):
            continue
        for threshold in rules.thresholds:
            if allocation.units_used * 100 >= threshold * allocation.units:
                told = {**_about(allocation), "threshold": threshold}
                for recipient in _provider_bd_and_channel(allocation):
                    yield Notice(
                        Kind.BUDGET_THRESHOLD, allocation.id, f"{threshold}%", recipient, told
                    )


def ending_unused(facts: PlanningFacts, today: date, rules: NoticeRules) -> Iterator[Notice]:
    for allocation in facts.allocations:
        unused = allocation.units - allocation.units_used
        if (
            allocation.cancelled_on is None
            and today <= allocation.end <= today + timedelta(days=rules.ending_days)
            and unused * 100 > rules.ending_unused_percent * allocation.units
        ):
            told = {**_about(allocation), "units_unused": unused}
            for recipient in _provider_bd_and_channel(allocation):
                yield Notice(
                    Kind.ENDING_UNUSED, allocation.id, allocation.end.isoformat(), recipient, told
                )


def weekly_digests(facts: PlanningFacts, now: datetime, rules: NoticeRules) -> Iterator[Notice]:
    digest_day = digest_day_of(now, rules)
    if digest_day is None:
        return
    week_start, week_end = digest_day - 7 * DAY, digest_day - DAY
    late: dict[str, list[dict]] = defaultdict(list)
    silent: dict[str, list[dict]] = defaultdict(list)
    managers = {member.handle: member.line_manager for member in facts.members}
    for work in facts.work:
        if work.late and week_start <= work.recorded_on <= week_end and work.member in managers:
            late[managers[work.member]].append(
                {
                    "member": work.member,
                    "allocation_id": work.allocation_id,
                    "date_to": work.date_to.isoformat(),
                    "recorded_on": work.recorded_on.isoformat(),
                }
            )
    worked = {
        (w.allocation_id, w.member)
        for w in facts.work
        if w.date_to >= week_start and w.date_from <= week_end
    }
    members = {member.handle: member for member in facts.members}
    for allocation in facts.allocations:
        member = members.get(allocation.provider or "")
        if member is None or (allocation.id, member.handle) in worked:
            continue
        if any(
            is_working_day(day) and _on_team(member, day) and _running_on(allocation, day)
            for day in _days(week_start, week_end)
        ):
            silent[member.line_manager].append(
                {"member": member.handle, "allocation_id": allocation.id}
            )
    for manager in sorted(set(late) | set(silent)):
        yield Notice(
            Kind.WEEKLY_DIGEST,
            manager,
            digest_day.isoformat(),
            manager,
            {
                "week": [week_start.isoformat(), week_end.isoformat()],
                "late": sorted(late[manager], key=lambda e: (e["member"], e["date_to"])),
                "silent": sorted(silent[manager], key=lambda e: (e["member"], e["allocation_id"])),
            },
        )


def digest_day_of(now: datetime, rules: NoticeRules) -> date | None:
    """The day of this week's digest, once it is due (from its hour on its weekday to the
    week's end); None before that."""
    today = now.date()
    day = today - timedelta(days=(today.weekday() - rules.digest_weekday) % 7)
    if day == today and now.hour < rules.digest_hour:
        return None
    return day


def _provider_bd_and_channel(allocation: AllocationFacts) -> list[str]:
    return [*([allocation.provider] if allocation.provider else []), BD, TEAM_CHANNEL]


def _about(allocation: AllocationFacts) -> dict[str, object]:
    return {
        "allocation_id": allocation.id,
        "engagement_id": allocation.engagement_id,
        "provider": allocation.provider,
        "units": allocation.units,
        "units_used": allocation.units_used,
        "end": allocation.end.isoformat(),
    }


def _status(allocation: AllocationFacts, today: date) -> str:
    return status(
        allocation.start,
        allocation.end,
        allocation.units,
        allocation.units_used,
        allocation.cancelled_on is not None and allocation.cancelled_on <= today,
        today,
    )


def _running_on(allocation: AllocationFacts, day: date) -> bool:
    """Work on `day` is expected of its provider: in its period, not cancelled by then."""
    return allocation.start <= day <= allocation.end and (
        allocation.cancelled_on is None or day < allocation.cancelled_on
    )


def _on_team(member: MemberFacts, day: date) -> bool:
    return member.started_on <= day and not _gone(member, day)


def _gone(member: MemberFacts, day: date) -> bool:
    return member.departed_on is not None and member.departed_on <= day


def _provided(allocations: Iterable[AllocationFacts]) -> dict[str, list[AllocationFacts]]:
    provided: dict[str, list[AllocationFacts]] = defaultdict(list)
    for allocation in allocations:
        if allocation.provider:
            provided[allocation.provider].append(allocation)
    return provided


def _covered_days(work: Iterable[WorkFacts]) -> dict[str, set[date]]:
    covered: dict[str, set[date]] = defaultdict(set)
    for entry in work:
        covered[entry.member].update(_days(entry.date_from, entry.date_to))
    return covered


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += DAY


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
