"""The ledger application: one method per command of the HTTP API, on the
`eventsourcing` library's Application.

Every command loads what it needs, lets the aggregates decide, and saves everything
it changed in one atomic write. A clash with a concurrent writer (the event store
refuses a second event at the same version) is retried a few times with fresh state,
then reported as `ConcurrentChange`.

Retried client requests (`Idempotency-Key`) are recognised without a side table: the
key becomes the id of what the request creates (or is remembered by the aggregate it
changes), so the event store itself refuses to apply it twice. A request without a key
gets a fresh id here, fixed before the first attempt: if a write's commit is reported
as failed but did happen, the retry finds its own first attempt instead of writing twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Generic, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder

from .domain import (
    Allocation,
    Conflict,
    DomainError,
    Engagement,
    Locator,
    NotFound,
    RuleViolation,
    TeamMember,
    team_member_id,
)
from .observability import EVENTS_APPENDED
from .store import position_of
from .tokens import ROLES, ApiToken, new_secret, token_id
from .transcodings import DateAsISO

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")

CONFLICT_RETRIES = 5


class ConcurrentChange(DomainError):
    """Others kept changing the same stream; the client may retry (409)."""


class Forbidden(DomainError):
    """The caller's token does not allow this (403)."""


class IdempotencyKeyReused(DomainError):
    """The Idempotency-Key was used before for a different request (422)."""


@dataclass(frozen=True)
class Written(Generic[T]):
    """The outcome of a command: what it produced, the log position of its last
    event, and whether it merely repeated an earlier identical request."""

    value: T
    position: int
    replayed: bool = False


def lenient_today() -> date:
    """The latest date anyone on Earth can be living now (UTC+14), so a member east
    of Greenwich can record today's work in the morning."""
    return (datetime.now(UTC) + timedelta(hours=14)).date()


class Ledger(Application[UUID]):
    name = "ledger"
    snapshotting_intervals = {Allocation: 100}  # noqa: RUF012 - library's own class attribute

    def __init__(
        self, env: dict[str, str] | None = None, today: Callable[[], date] = lenient_today
    ):
        super().__init__(env)
        self.today = today
        # Members are never removed, so once seen they need not be looked up again.
        self._known_members: set[str] = set()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # Engagements and projects

    def open_engagement(
        self,
        *,
        name: str,
        community: str,
        description: str,
        start_date: date,
        end_date: date,
        contacts: list[str] | None,
        actor: str,
        request_id: UUID | None = None,
    ) -> Written[Engagement]:
        fields = dict(
            name=name,
            community=community,
            description=description,
            start_date=start_date,
            end_date=end_date,
            contacts=list(contacts or []),
        )

        engagement_id = request_id or uuid4()

        def command() -> Written[Engagement]:
            if self._exists(engagement_id):
                return self._replay_of_creation(Engagement, engagement_id, fields)
            engagement = Engagement.open(id=engagement_id, actor=actor, **fields)
            return self._save(engagement, value=engagement)

        return self._retrying(command)

    def record_closed_won_deal(
        self,
        *,
        portal_id: int,
        deal_id: str,
        name: str,
        amount: Decimal | None,
        close_time: datetime | None,
        pipeline: str | None,
        stage: str,
        webhook_event_id: int,
    ) -> Written[Engagement]:
        """Create the deal's engagement unless it exists: HubSpot delivers at least
        once, and the deal's derived id makes every delivery after the first a no-op."""

        def command() -> Written[Engagement]:
            engagement = Engagement.from_closed_won_deal(
                portal_id=portal_id,
                deal_id=deal_id,
                name=name,
                amount=amount,
                close_time=close_time,
                pipeline=pipeline,
                stage=stage,
                webhook_event_id=webhook_event_id,
            )
            if self._exists(engagement.id):
                existing = self._get(Engagement, engagement.id)
                return Written(existing, self.position_of(existing.id, 1), replayed=True)
            return self._save(engagement, value=engagement)

        return self._retrying(command)

    def update_engagement_details(
        self, engagement_id: UUID, *, changes: dict[str, Any], actor: str
    ) -> Written[Engagement]:
        def command() -> Written[Engagement]:
            engagement = self._get(Engagement, engagement_id)
            engagement.update_details(changes=changes, actor=actor)
            return self._save(engagement, value=engagement)

        return self._retrying(command)

    def record_deal_details(
        self, engagement_id: UUID, *, changes: dict[str, Any]
    ) -> Written[Engagement]:
        """Record the details fetched from HubSpot for a deal's engagement, once.

        Every web process may fetch the same deal; when two record at the same time,
        the second clashes on the engagement's version, and its retry finds the
        details there and writes nothing."""

        def command() -> Written[Engagement]:
            engagement = self._get(Engagement, engagement_id)
            if engagement.deal_details:
                return Written(
                    engagement, self.position_of(engagement.id, engagement.version), True
                )
            engagement.update_details(changes=changes, actor="hubspot")
            return self._save(engagement, value=engagement)

        return self._retrying(command)

    def define_project(
        self,
        engagement_id: UUID,
        *,
        name: str,
        outcome: str,
        actor: str,
        request_id: UUID | None = None,
    ) -> Written[tuple[Engagement, UUID]]:
        project_id = request_id or uuid4()

        def command() -> Written[tuple[Engagement, UUID]]:
            engagement = self._get(Engagement, engagement_id)
            if str(project_id) in engagement.projects:
                project = engagement.projects[str(project_id)]
                _require_same_request(
                    {"name": project["name"], "outcome": project["outcome"]},
                    {"name": name, "outcome": outcome},
                )
                return Written(
                    (engagement, project_id),
                    self._position_of_project(engagement, project_id),
                    True,
                )
            engagement.define_project(
                project_id=project_id, name=name, outcome=outcome, actor=actor
            )
            locator = Locator(id=project_id, kind="project", owner_id=engagement.id)
            return self._save(locator, engagement, value=(engagement, project_id))

        return self._retrying(command)

    # Allocations

    def grant_allocation(
        self,
        project_id: UUID,
        *,
        start_date: date,
        end_date: date,
        units: int,
        description: str,
        provider: str | None,
        actor: str,
        request_id: UUID | None = None,
    ) -> Written[Allocation]:
        fields = dict(
            start_date=start_date,
            end_date=end_date,
            units=units,
            description=description,
            provider=provider,
        )

        allocation_id = request_id or uuid4()

        def command() -> Written[Allocation]:
            engagement = self._engagement_of_project(project_id)
            if self._exists(allocation_id):
                return self._replay_of_creation(
                    Allocation, allocation_id, fields | {"project_id": project_id}
                )
            if provider is not None:
                self._require_member_exists(provider, "provider")
            allocation = Allocation.grant(
                id=allocation_id,
                engagement_id=engagement.id,
                project_id=project_id,
                actor=actor,
                **fields,
            )
            engagement.book_allocation(
                project_id=project_id,
                allocation_id=allocation.id,
                start_date=start_date,
                end_date=end_date,
                actor=actor,
            )
            return self._save(engagement, allocation, value=allocation)

        return self._retrying(command)

    def amend_allocation(
        self,
        allocation_id: UUID,
        *,
        reason: str,
        actor: str,
        units: int | None = None,
        end_date: date | None = None,
        description: str | None = None,
    ) -> Written[Allocation]:
        def command() -> Written[Allocation]:
            allocation = self._get(Allocation, allocation_id)
            allocation.amend(
                reason=reason, actor=actor, units=units, end_date=end_date, description=description
            )
            changed = [allocation]
            if end_date is not None:
                engagement = self._get(Engagement, allocation.engagement_id)
                engagement.book_allocation(
                    project_id=allocation.project_id,
                    allocation_id=allocation.id,
                    start_date=allocation.start_date,
                    end_date=end_date,
                    actor=actor,
                )
                changed.append(engagement)
            return self._save(*reversed(changed), value=allocation)

        return self._retrying(command)

    def cancel_allocation(
        self, allocation_id: UUID, *, reason: str, actor: str, request_id: UUID | None = None
    ) -> Written[Allocation]:
        request = _key(request_id)

        def command() -> Written[Allocation]:
            allocation = self._get(Allocation, allocation_id)
            replay = self._replay_of(allocation, request)
            if replay:
                return replay
            allocation.cancel(reason=reason, actor=actor, request_id=request)
            engagement = self._get(Engagement, allocation.engagement_id)
            engagement.release_allocation(
                project_id=allocation.project_id, allocation_id=allocation.id, actor=actor
            )
            return self._save(engagement, allocation, value=allocation)

        return self._retrying(command)

    # Activities

    def record_activity(
        self,
        allocation_id: UUID,
        *,
        team_member: str,
        units: int,
        description: str,
        date_from: date,
        date_to: date,
        actor: str,
        only_member: str | None = None,
        request_id: UUID | None = None,
    ) -> Written[tuple[Allocation, UUID]]:
        """Record work done. `only_member`, when given, is the one member the caller
        may record for (a member token records only its own work)."""
        if only_member is not None and team_member != only_member:
            raise Forbidden(f"a member token may record only {only_member}'s activities")
        fields = dict(
            team_member=team_member,
            units=units,
            description=description,
            date_from=date_from,
            date_to=date_to,
        )

        activity_id = request_id or uuid4()

        def command() -> Written[tuple[Allocation, UUID]]:
            allocation = self._get(Allocation, allocation_id)
            replay = self._replay_of_activity(
                allocation, activity_id, fields, client_keyed=request_id is not None
            )
            if replay:
                return replay
            self._require_member_exists(team_member, "team_member")
            allocation.record_activity(
                activity_id=activity_id, actor=actor, today=self.today(), **fields
            )
            locator = Locator(id=activity_id, kind="activity", owner_id=allocation.id)
            return self._save(locator, allocation, value=(allocation, activity_id))

        return self._retrying(command)

    def record_project_activity(
        self, project_id: UUID, *, date_to: date, **activity: Any
    ) -> Written[tuple[Allocation, UUID]]:
        """Record work against whichever allocation of the project covers its last day."""
        engagement = self._engagement_of_project(project_id)
        for allocation_id, period in engagement.project(project_id)["schedule"].items():
            if period["start_date"] <= date_to <= period["end_date"]:
                return self.record_activity(UUID(allocation_id), date_to=date_to, **activity)
        raise RuleViolation(
            f"no allocation of this project covers {date_to.isoformat()}", "date_to"
        )

    def correct_activity(
        self,
        activity_id: UUID,
        *,
        changes: dict[str, Any],
        reason: str,
        actor: str,
        only_member: str | None = None,
        request_id: UUID | None = None,
    ) -> Written[tuple[Allocation, UUID]]:
        request = _key(request_id)

        def command() -> Written[tuple[Allocation, UUID]]:
            allocation = self._allocation_of_activity(activity_id)
            replay = self._replay_of(allocation, request, value=(allocation, activity_id))
            if replay:
                return replay
            self._require_own_activity(allocation, activity_id, only_member)
            if only_member is not None and changes.get("team_member", only_member) != only_member:
                raise Forbidden("a member token cannot hand an activity to someone else")
            if changes.get("team_member") is not None:
                self._require_member_exists(changes["team_member"], "team_member")
            allocation.correct_activity(
                activity_id=activity_id,
                changes=changes,
                reason=reason,
                actor=actor,
                today=self.today(),
                request_id=request,
            )
            return self._save(allocation, value=(allocation, activity_id))

        return self._retrying(command)

    def retract_activity(
        self,
        activity_id: UUID,
        *,
        reason: str,
        actor: str,
        only_member: str | None = None,
        request_id: UUID | None = None,
    ) -> Written[tuple[Allocation, UUID]]:
        request = _key(request_id)

        def command() -> Written[tuple[Allocation, UUID]]:
            allocation = self._allocation_of_activity(activity_id)
            replay = self._replay_of(allocation, request, value=(allocation, activity_id))
            if replay:
                return replay
            self._require_own_activity(allocation, activity_id, only_member)
            allocation.retract_activity(
                activity_id=activity_id, reason=reason, actor=actor, request_id=request
            )
            return self._save(allocation, value=(allocation, activity_id))

        return self._retrying(command)

    # Team

    def register_team_member(
        self,
        *,
        handle: str,
        name: str,
        line_manager: str,
        fte: Decimal,
        effective_date: date,
        actor: str,
    ) -> Written[TeamMember]:
        def command() -> Written[TeamMember]:
            if self._exists(team_member_id(handle)):
                raise Conflict(f"team member {handle} is already registered")
            member = TeamMember.register(
                handle=handle,
                name=name,
                line_manager=line_manager,
                fte=fte,
                effective_date=effective_date,
                actor=actor,
            )
            return self._save(member, value=member)

        return self._retrying(command)

    def update_team_member(
        self,
        handle: str,
        *,
        actor: str,
        fte: Decimal | None = None,
        effective_date: date | None = None,
        departed_on: date | None = None,
    ) -> Written[TeamMember]:
        if fte is None and departed_on is None:
            raise RuleViolation("give fte (with effective_date) or departed_on")
        if fte is not None and effective_date is None:
            raise RuleViolation("a new fte needs its effective_date", "effective_date")

        def command() -> Written[TeamMember]:
            member = self.team_member(handle)
            if fte is not None and effective_date is not None:
                member.change_capacity(fte=fte, effective_date=effective_date, actor=actor)
            if departed_on is not None:
                member.depart(effective_date=departed_on, actor=actor)
            return self._save(member, value=member)

        return self._retrying(command)

    # Tokens

    def issue_token(
        self, *, role: str, member: str | None, engagement_id: UUID | None, actor: str
    ) -> tuple[str, ApiToken]:
        if role not in ROLES:
            raise RuleViolation(f"role must be one of {', '.join(ROLES)}", "role")
        if role == "member" and not member:
            raise RuleViolation("a member token needs --member HANDLE", "member")
        if member is not None:
            self._require_member_exists(member, "member")
        if engagement_id is not None:
            self._get(Engagement, engagement_id)
        secret = new_secret()
        token = ApiToken(
            id=token_id(secret), role=role, member=member, engagement_id=engagement_id, actor=actor
        )
        self.save(token)
        return secret, token

    def revoke_token(self, secret: str, *, actor: str) -> None:
        token = self.token_for(secret)
        if token is None:
            raise NotFound("no such token, or it is already revoked")
        token.revoke(actor=actor)
        self.save(token)

    def token_for(self, secret: str) -> ApiToken | None:
        try:
            token = self.repository.get(token_id(secret))
        except AggregateNotFoundError:
            return None
        return token if isinstance(token, ApiToken) and not token.revoked else None

    # Queries

    def engagement(self, engagement_id: UUID) -> Engagement:
        return self._get(Engagement, engagement_id)

    def allocation(self, allocation_id: UUID, as_of: datetime | None = None) -> Allocation:
        if as_of is None:
            return self._get(Allocation, allocation_id)
        allocation: Any = None
        for domain_event in self.events.get(allocation_id):
            if domain_event.timestamp > as_of:
                break
            allocation = domain_event.mutate(allocation)
        if not isinstance(allocation, Allocation):
            raise NotFound(f"allocation {allocation_id} did not exist at {as_of.isoformat()}")
        return allocation

    def team_member(self, handle: str) -> TeamMember:
        try:
            return self._get(TeamMember, team_member_id(handle))
        except NotFound:
            raise NotFound(f"team member {handle} is not registered") from None

    def team_members(self) -> list[TeamMember]:
        return [
            self._get(TeamMember, i) for i in self._originators_of(TeamMember.TeamMemberRegistered)
        ]

    def engagements(self) -> list[Engagement]:
        ids = list(self._originators_of(Engagement.EngagementOpened))
        ids += list(self._originators_of(Engagement.DealClosedWon))
        return sorted((self._get(Engagement, i) for i in ids), key=lambda e: e.created_on)

    def stream(self, originator_id: UUID) -> list[Any]:
        events = list(self.events.get(originator_id))
        if not events:
            raise NotFound(f"no stream {originator_id}")
        return events

    def position_of(self, originator_id: UUID, version: int) -> int:
        position = position_of(self.recorder, originator_id, version)
        assert position is not None, "a stored event has a position"
        return position

    # Helpers

    def _retrying(self, command: Callable[[], Written[T]]) -> Written[T]:
        for attempt in range(CONFLICT_RETRIES):
            try:
                return command()
            except IntegrityError:
                time.sleep(0.005 * (2**attempt))
        raise ConcurrentChange("the resource was changed concurrently; please retry")

    def _save(self, *aggregates: Aggregate, value: T) -> Written[T]:
        """Save in one atomic write. The aggregate the request addressed comes last,
        so the write's position is that of its event, which a retry can look up."""
        recordings = self.save(*aggregates)
        EVENTS_APPENDED.inc(len(recordings))
        return Written(value, recordings[-1].notification.id)

    def _replay_of_creation(
        self, cls: type[A], originator_id: UUID, fields: dict[str, Any]
    ) -> Written[A]:
        """The earlier outcome of a retried request that created `originator_id`."""
        existing = self._get(cls, originator_id)
        _require_same_request(self._fields_of_event(originator_id, 1, fields), fields)
        return Written(existing, self.position_of(originator_id, 1), replayed=True)

    def _fields_of_event(
        self, originator_id: UUID, version: int, fields: dict[str, Any]
    ) -> dict[str, Any]:
        """The named fields of one stored event, as first written."""
        stored = next(self.events.get(originator_id, gt=version - 1, lte=version))
        return {name: getattr(stored, name, None) for name in fields}

    def _replay_of(
        self, allocation: Allocation, request: str, value: Any = None
    ) -> Written[Any] | None:
        """The earlier outcome of a retried command on an allocation, if it is one."""
        if request not in allocation.handled_requests:
            return None
        version = allocation.handled_requests[request]
        return Written(value or allocation, self.position_of(allocation.id, version), replayed=True)

    def _replay_of_activity(
        self, allocation: Allocation, activity_id: UUID, fields: dict[str, Any], client_keyed: bool
    ) -> Written[tuple[Allocation, UUID]] | None:
        """The earlier outcome of a retried recording. Only a client's key can have been
        used on another allocation; a fresh id made here cannot, which spares a query."""
        activity = allocation.activities.get(str(activity_id))
        if activity is None:
            if client_keyed and self._exists(activity_id):
                raise IdempotencyKeyReused("the Idempotency-Key was used for another allocation")
            return None
        version = activity["recorded_version"]
        _require_same_request(self._fields_of_event(allocation.id, version, fields), fields)
        position = self.position_of(allocation.id, version)
        return Written((allocation, activity_id), position, replayed=True)

    def _position_of_project(self, engagement: Engagement, project_id: UUID) -> int:
        for domain_event in self.events.get(engagement.id):
            if getattr(domain_event, "project_id", None) == project_id:
                return self.position_of(engagement.id, domain_event.originator_version)
        raise NotFound(f"project {project_id} is not defined")

    def _engagement_of_project(self, project_id: UUID) -> Engagement:
        locator = self._located(project_id, "project")
        engagement = self._get(Engagement, locator.owner_id)
        engagement.project(project_id)
        return engagement

    def _allocation_of_activity(self, activity_id: UUID) -> Allocation:
        locator = self._located(activity_id, "activity")
        return self._get(Allocation, locator.owner_id)

    def _located(self, thing_id: UUID, kind: str) -> Locator:
        try:
            locator = self._get(Locator, thing_id)
        except NotFound:
            raise NotFound(f"no {kind} {thing_id}") from None
        if locator.kind != kind:
            raise NotFound(f"no {kind} {thing_id}")
        return locator

    def _require_own_activity(
        self, allocation: Allocation, activity_id: UUID, only_member: str | None
    ) -> None:
        if (
            only_member is not None
            and allocation.activity(activity_id)["team_member"] != only_member
        ):
            raise Forbidden(f"a member token may change only {only_member}'s activities")

    def _require_member_exists(self, handle: str, field: str) -> None:
        if handle in self._known_members:
            return
        if not self._exists(team_member_id(handle)):
            raise RuleViolation(f"{handle} is not a registered team member", field)
        self._known_members.add(handle)

    def _exists(self, originator_id: UUID) -> bool:
        return bool(self.recorder.select_events(originator_id, limit=1))

    def _get(self, cls: type[A], originator_id: UUID) -> A:
        try:
            aggregate = self.repository.get(originator_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {_label(cls)} {originator_id}") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"no {_label(cls)} {originator_id}")
        return aggregate

    def _originators_of(self, event_class: type) -> Iterator[UUID]:
        topic = f"{event_class.__module__}:{event_class.__qualname__}"
        start = 1
        while True:
            page = self.recorder.select_notifications(start=start, limit=500, topics=[topic])
            for notification in page:
                yield notification.originator_id
            if len(page) < 500:
                return
            start = page[-1].id + 1


def _key(request_id: UUID | None) -> str:
    """The id a command on an allocation is remembered by: the client's, or a new one."""
    return str(request_id or uuid4())


def _label(cls: type) -> str:
    return {"TeamMember": "team member"}.get(cls.__name__, cls.__name__.lower())


def _require_same_request(original: dict[str, Any] | None, repeated: dict[str, Any]) -> None:
    if original != repeated:
        raise IdempotencyKeyReused("the Idempotency-Key was already used for a different request")
