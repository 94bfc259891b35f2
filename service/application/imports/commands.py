"""Importing history (docs/how-to/import-history.md): the activities and allocations a
team kept in a spreadsheet before the service, written as they happened. The file is read, and each
row's fields checked, at the boundary (service/web/schemas/import_file.py, with the API's own
schemas); here every row is checked against the ledger, then written.

All or nothing. Every row is checked first, on working copies of the allocations and
engagements it touches, by the very domain methods a live command calls, so a row is
refused for whatever a request would be; every refused row is listed with its line,
and if any is, nothing is written. Only then are the rows written, in batches: up to
BATCH rows of one allocation in one atomic save (an allocation's stream takes them as
one append), so 10,000 rows are written in seconds rather than in 10,000 transactions
or one unbounded one. A batch is written whole or not at all; if the writing stops
part-way (the database goes away), the batches saved stay saved, and running the same
file again writes the rest, because:

Idempotent on `external_id`. An imported activity's id is derived from its external
id, and its locator is saved with it, so the event store refuses a second one; a row
whose activity (or allocation) exists is skipped, whatever it says now: the ledger
keeps what was imported, and a correction changes it.

Time. An imported activity is stamped with its `recorded_at`, so it is late only if it
was recorded more than 14 days after the work then, never because of the import; the
rules' "today" is that moment's (the work is not after it). Dated in a closed month it
is accepted and flagged `after_close`, as from an admin: importing answers for the
books. An allocation is stamped with its `granted_at`, if given. Rows are written in
the order of those moments, so an allocation's stream stays in time order as far as
its existing events allow (History.allocation copes when it cannot)."""

from __future__ import annotations

import copy
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import IntegrityError

from service.application.activities import ActivityCommands
from service.application.clock import ReplayClock
from service.application.commands import CONFLICT_RETRIES
from service.application.errors import ConcurrentChange
from service.application.imports.rows import (
    ActivityRow,
    AllocationRow,
    ImportFile,
    ImportOutcome,
    Progress,
    Quiet,
    RowError,
    imported_activity_id,
    imported_allocation_id,
)
from service.domain import (
    Allocation,
    DomainError,
    Engagement,
    Locator,
    NotFound,
    RuleViolation,
    TeamMember,
)
from service.domain.activity import WORK_FIELDS
from service.domain.period import closed_among
from service.infra.metrics import EVENTS_APPENDED
from service.infra.store import existing_streams

BATCH = 1000


class ImportCommands(ActivityCommands):
    def import_activities(
        self,
        file: ImportFile[ActivityRow],
        *,
        actor: str,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> ImportOutcome:
        """Check every row, then (unless `dry_run` or a row is wrong) write them;
        `actor`: who imports, the actor of every event (the module docstring)."""
        progress = progress or Quiet()
        check = _Check(self, actor, [imported_activity_id(row.external_id) for row in file.rows])
        outcome = _checked(file, check, check.activity, dry_run, progress)
        if not (outcome.errors or dry_run):
            self._write_activities(check.planned, actor, outcome, progress)
        return self._positioned(outcome)

    def import_allocations(
        self,
        file: ImportFile[AllocationRow],
        *,
        actor: str,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> ImportOutcome:
        """As `import_activities`, for allocations: one atomic save per allocation
        (with its booking in the project's schedule); allocations are few."""
        progress = progress or Quiet()
        check = _Check(self, actor, [imported_allocation_id(row.external_id) for row in file.rows])
        outcome = _checked(file, check, check.allocation, dry_run, progress)
        if outcome.errors or dry_run:
            return self._positioned(outcome)
        progress.stage("writing", len(check.planned))
        now = datetime.now(UTC)
        for row in sorted(check.planned, key=lambda r: (r.granted_at or now, r.line)):
            written, position = self._retried(
                lambda again, row=row: self._grant_row(row, actor, again)
            )
            outcome.imported += written
            outcome.skipped += 1 - written
            outcome.position = position or outcome.position
            progress.advance(1)
        return self._positioned(outcome)

    def _write_activities(
        self, planned: list[ActivityRow], actor: str, outcome: ImportOutcome, progress: Progress
    ) -> None:
        progress.stage("writing", len(planned))
        by_allocation: dict[UUID, list[ActivityRow]] = defaultdict(list)
        for row in planned:
            by_allocation[row.allocation_id].append(row)
        for allocation_id, rows in by_allocation.items():
            rows.sort(key=lambda r: (r.recorded_at, r.line))
            for start in range(0, len(rows), BATCH):
                batch = rows[start : start + BATCH]
                written, position = self._retried(
                    lambda again, batch=batch, a=allocation_id: self._record_batch(
                        a, batch, actor, again
                    )
                )
                outcome.imported += written
                outcome.skipped += len(batch) - written
                outcome.position = position or outcome.position
                progress.advance(len(batch))

    def _record_batch(
        self, allocation_id: UUID, batch: list[ActivityRow], actor: str, again: bool
    ) -> tuple[int, int | None]:
        """One batch of rows of one allocation in one atomic save: the activities and
        their locators. On a second attempt (the first clashed with another write),
        rows imported meanwhile are skipped.

        The allocation's snapshots (every 100 events) are taken from the copy in hand as
        it passes each hundred, rather than by the library after the save, which reads
        each back from the store: that took a third of the time of writing."""
        ids = [imported_activity_id(row.external_id) for row in batch] if again else None
        check = _Check(self, actor, ids)
        allocation = check.working_allocation(allocation_id)
        interval = self.snapshotting_intervals[Allocation]
        locators, snapshots = [], []
        for row in batch:
            activity_id = imported_activity_id(row.external_id)
            if again and check.exists(allocation, activity_id):
                continue
            check.record(allocation, row, activity_id)
            locators.append(Locator.place(id=activity_id, kind="activity", owner_id=allocation_id))
            if allocation.version % interval == 0:
                snapshots.append(Snapshot.take(copy.deepcopy(allocation)))
        if not locators:
            return 0, None
        recordings = self.save(*locators, *allocation.collect_events())
        EVENTS_APPENDED.inc(len(recordings))
        if snapshots and self.snapshots is not None:
            self.snapshots.put(snapshots)
        return len(locators), recordings[-1].notification.id

    def _grant_row(self, row: AllocationRow, actor: str, again: bool) -> tuple[int, int | None]:
        allocation_id = imported_allocation_id(row.external_id)
        if again and self.exists(allocation_id):
            return 0, None
        engagement = self.engagement_of_project(row.project_id)
        allocation = _Check(self, actor).grant(engagement, row, allocation_id)
        return 1, self.save_all(engagement, allocation, value=None).position

    @staticmethod
    def _retried(write: Any) -> tuple[int, int | None]:
        """`write(again)`, retried with fresh state when another writer got to the same
        stream first, as a command is (service/application/commands.py)."""
        for attempt in range(CONFLICT_RETRIES):
            try:
                return write(attempt > 0)
            except IntegrityError:
                time.sleep(0.005 * (2**attempt))
        raise ConcurrentChange("the import clashed with other writes; run it again")

    def _positioned(self, outcome: ImportOutcome) -> ImportOutcome:
        if not outcome.position:
            outcome.position = self.recorder.max_notification_id() or 0
        return outcome


def _checked(
    file: ImportFile[Any],
    check: _Check,
    check_row: Callable[[Any], None],
    dry_run: bool,
    progress: Progress,
) -> ImportOutcome:
    """Every row checked by `check_row`: the outcome so far, every wrong row in it."""
    outcome = ImportOutcome(rows=file.count, dry_run=dry_run, errors=list(file.errors))
    progress.stage("checking", len(file.rows))
    for row in file.rows:
        check_row(row)
        progress.advance(1)
    outcome.refuse(check.errors)
    outcome.passed = [row.line for row in check.planned]
    outcome.imported_before = check.imported_before
    outcome.skipped = len(check.imported_before)
    if dry_run and not outcome.errors:
        outcome.imported = len(check.planned)
    return outcome


class _Check:
    """The rules of an import, row by row, on working copies of what the rows touch
    (loaded once each): a row that passes is applied to its copy, so the next row is
    checked against the file so far (an overlap between two allocations of the file,
    say). The copies are never saved: writing loads afresh."""

    def __init__(self, ledger: ImportCommands, actor: str, ids: list[UUID] | None = None):
        """`ids`: those the rows will make, whose existence is then asked at once."""
        self.ledger = ledger
        self.actor = actor
        self.known = existing_streams(ledger.recorder, ids or [])
        self.now = datetime.now(UTC)
        self.closed = ledger.closed_months()
        self.planned: list[Any] = []
        self.imported_before: list[int] = []
        self.errors: list[RowError] = []
        self._allocations: dict[UUID, Allocation | str] = {}
        self._engagements: dict[UUID, Engagement] = {}
        self._projects: dict[UUID, UUID | str] = {}
        self._members: dict[str, TeamMember] = {}

    def activity(self, row: ActivityRow) -> None:
        try:
            allocation = self.working_allocation(row.allocation_id, row.allocation_external_id)
            activity_id = imported_activity_id(row.external_id)
            if self.exists(allocation, activity_id):
                self.imported_before.append(row.line)
                return
            self.record(allocation, row, activity_id)
            self.planned.append(row)
        except DomainError as error:
            self.errors.append(RowError(row.line, error.field or "allocation_id", error.message))

    def allocation(self, row: AllocationRow) -> None:
        try:
            allocation_id = imported_allocation_id(row.external_id)
            if allocation_id in self.known:
                self.imported_before.append(row.line)
                return
            self.grant(self.working_engagement(row.project_id), row, allocation_id)
            self.planned.append(row)
        except DomainError as error:
            self.errors.append(RowError(row.line, error.field or "project_id", error.message))

    def exists(self, allocation: Allocation, activity_id: UUID) -> bool:
        """Imported before: on this allocation, or anywhere (its locator exists; it may
        have been moved since, or the row may now name another allocation)."""
        return str(activity_id) in allocation.activities or activity_id in self.known

    def record(self, allocation: Allocation, row: ActivityRow, activity_id: UUID) -> None:
        if row.recorded_at > self.now:
            raise RuleViolation(
                f"recorded_at {_moment(row.recorded_at)} is in the future", "recorded_at"
            )
        today = ReplayClock(row.recorded_at).latest_today()
        if row.date_to > today:
            raise RuleViolation(
                f"recorded_at {_moment(row.recorded_at)} is before the work's last day "
                f"{row.date_to.isoformat()}: work is recorded once it is done",
                "recorded_at",
            )
        self.working_engagement_of(allocation).require_open()
        self.member(row.team_member).require_on_the_team(row.date_from, row.date_to)
        allocation.record_activity(
            activity_id=activity_id,
            **{name: getattr(row, name) for name in WORK_FIELDS},
            actor=self.actor,
            today=today,
            after_close=bool(closed_among(self.closed, (row.date_from, row.date_to))),
            recorded_at=row.recorded_at,
            external_id=row.external_id,
            recorded_by=row.recorded_by,
        )

    def member(self, handle: str) -> TeamMember:
        """Loaded once per handle: work is imported only for days the member was on
        the team, as it is recorded live."""
        if handle not in self._members:
            self._members[handle] = self.ledger.registered_member(handle, "team_member")
        return self._members[handle]

    def grant(self, engagement: Engagement, row: AllocationRow, allocation_id: UUID) -> Allocation:
        if row.granted_at is not None and row.granted_at > self.now:
            raise RuleViolation(
                f"granted_at {_moment(row.granted_at)} is in the future", "granted_at"
            )
        if row.provider is not None:
            self.ledger.require_member_exists(row.provider, "provider")
        allocation = Allocation.grant(
            id=allocation_id,
            engagement_id=engagement.id,
            project_id=row.project_id,
            start_date=row.start_date,
            end_date=row.end_date,
            description=row.description,
            units=row.units,
            provider=row.provider,
            actor=self.actor,
            granted_at=row.granted_at,
        )
        engagement.book_allocation(
            project_id=row.project_id,
            allocation_id=allocation_id,
            start_date=row.start_date,
            end_date=row.end_date,
            actor=self.actor,
        )
        return allocation

    def working_allocation(self, allocation_id: UUID, external_id: str | None = None) -> Allocation:
        """The allocation, one working copy for all the file's rows; when missing, named
        as the row named it (by its id, or by the external id it was imported with)."""
        if allocation_id not in self._allocations:
            try:
                self._allocations[allocation_id] = self.ledger.get(Allocation, allocation_id)
            except NotFound as error:
                self._allocations[allocation_id] = error.message
        found = self._allocations[allocation_id]
        if isinstance(found, str) and external_id is not None:
            raise NotFound(f"no allocation was imported as {external_id}", "allocation_external_id")
        if isinstance(found, str):
            raise NotFound(found, "allocation_id")
        return found

    def working_engagement_of(self, allocation: Allocation) -> Engagement:
        engagement_id = allocation.engagement_id
        if engagement_id not in self._engagements:
            self._engagements[engagement_id] = self.ledger.get(Engagement, engagement_id)
        return self._engagements[engagement_id]

    def working_engagement(self, project_id: UUID) -> Engagement:
        """The engagement of a project, one working copy for all the file's rows."""
        if project_id not in self._projects:
            try:
                self._projects[project_id] = self.ledger.located(project_id, "project").owner_id
            except NotFound as error:
                self._projects[project_id] = error.message
        found = self._projects[project_id]
        if isinstance(found, str):
            raise NotFound(found, "project_id")
        if found not in self._engagements:
            self._engagements[found] = self.ledger.get(Engagement, found)
        return self._engagements[found]


def _moment(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
