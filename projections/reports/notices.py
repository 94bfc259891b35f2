"""What planning notices reads (service/domain/notice_planning.py), gathered from the
read models: the team, the allocations still worth telling about, and the recent work,
each as the planning's plain facts. "Recent" and "recorded on" are read in the
notifications' time zone (NOTIFY_TIMEZONE)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from projections.engine.catalog import Projections
from projections.engine.encoding import to_day, to_moment
from projections.reports.declared import reads
from service.domain.balance import LATE_AFTER_DAYS
from service.domain.notice_planning import RECENT_DAYS
from service.domain.notices import AllocationFacts, MemberFacts, PlanningFacts, WorkFacts


@reads("team", "balances", "activities")
def planning_facts(projections: Projections, now: datetime, zone: ZoneInfo) -> PlanningFacts:
    """The facts for planning the notices due at `now` (aware)."""
    today = now.astimezone(zone).date()
    since = today - timedelta(days=RECENT_DAYS)
    members = tuple(
        MemberFacts(
            handle=member.handle,
            line_manager=member.line_manager,
            started_on=member.capacity_history[0][0] if member.capacity_history else today,
            departed_on=member.departed_on,
        )
        for member in projections.view("team").members().values()
    )
    activities = projections.view("activities")
    last_days = activities.last_days_worked()
    allocations = tuple(
        AllocationFacts(
            id=row["id"],
            engagement_id=row["engagement_id"],
            provider=row["provider"],
            start=to_day(row["start_date"]),
            end=to_day(row["end_date"]),
            units=row["units"],
            units_used=row["units_used"],
            cancelled_on=to_day(row["cancelled_on"]),
            provider_last_day=to_day(last_days.get((row["id"], row["provider"]))),
        )
        for row in projections.view("balances").allocations_ending_from(since)
    )
    recorded_from = datetime.combine(today - timedelta(days=LATE_AFTER_DAYS), time(), zone)
    work = tuple(
        WorkFacts(
            allocation_id=row["allocation_id"],
            member=row["team_member"],
            date_from=to_day(row["date_from"]),
            date_to=to_day(row["date_to"]),
            recorded_on=to_moment(row["recorded_at"]).astimezone(zone).date(),
            late=bool(row["late"]),
        )
        for row in activities.live_since(since, recorded_from)
    )
    return PlanningFacts(members, allocations, work)


@reads("notifications")
def due_notification_ids(projections: Projections, now: datetime) -> list[str]:
    """The notifications the sender looks at now (it decides on each in the log)."""
    return projections.view("notifications").due_ids(now)


@reads("notifications")
def switched_off(projections: Projections) -> dict[str, frozenset[str]]:
    """recipient -> the kinds of notice they switched off."""
    return projections.view("notifications").switched_off()


@reads("notifications")
def given_up_notifications(projections: Projections) -> list[dict[str, object]]:
    """The notifications the sender gave up on, newest first: for /review."""
    return projections.view("notifications").given_up()


@reads("notifications")
def notification_counts(projections: Projections) -> dict[str, int]:
    """How many notifications are in each state: for /metrics."""
    return projections.view("notifications").counts_by_state()
