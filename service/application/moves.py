"""Moving a mis-filed activity to another allocation (docs/how-to/move-activity.md).

Retracting an activity and recording it again would stamp it with a new `recorded_at`,
and so often make it late; a move keeps its recording. The same `ActivityMoved` goes on
both allocations' streams and the activity's locator is pointed at its new allocation, in
one atomic write: the activity is never on both allocations or on neither, and is found,
corrected and retracted where it now is.

Who may move what is as for corrections: a manager or admin any activity, a member only
its own member's. The activity's dates do not change, so the rule of closed months
(service/application/access.py) applies to them. A retried request is answered from the
locator, which remembers each move by its request id: a retry after the activity moved on
again still finds its own move."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from service.application import access
from service.application.base import LedgerBase
from service.application.caller import Caller
from service.application.commands import CONFLICT_RETRIES, RequestId, Written, command
from service.application.idempotency import require_same_request
from service.domain import Allocation, Engagement, Locator, NotFound, RuleViolation


@dataclass(frozen=True)
class Move:
    """What a move left: the allocation the activity left, the one it joined."""

    source: Allocation
    target: Allocation
    activity_id: UUID


class MoveCommands(LedgerBase):
    @command
    def move_activity(
        self,
        activity_id: UUID,
        *,
        allocation_id: UUID,
        reason: str,
        caller: Caller,
        request: RequestId,
    ) -> Written[Move]:
        """Move the activity to allocation `allocation_id`; see the module's docstring.
        An allocation that does not exist is the request's fault (422 naming the field),
        not the addressed activity's absence (404)."""
        locator, source = self._where_it_is(activity_id)
        replay = self._replay_of_move(locator, activity_id, allocation_id, request)
        if replay:
            return replay
        activity = source.activity(activity_id)
        access.require_own_work(caller, activity.team_member, "move")
        try:
            target = self.get(Allocation, allocation_id)
        except NotFound as error:
            raise RuleViolation(error.message, "allocation_id") from None
        self.get(Engagement, target.engagement_id).require_open()
        after_close = access.after_close(
            caller, self.closed_months(), (activity.date_from, activity.date_to)
        )
        source.move_activity(
            activity_id, to=target, reason=reason, actor=caller.actor, after_close=after_close
        )
        locator.relocate(owner_id=target.id, request_id=request.key, actor=caller.actor)
        return self.save_all(source, target, locator, value=Move(source, target, activity_id))

    def _where_it_is(self, activity_id: UUID) -> tuple[Locator, Allocation]:
        """The activity's locator and the allocation it is on, read as of one moment.

        They are two reads: a move saved between them (a retry's own original, racing
        it) leaves the allocation saying the activity left, while the locator read first
        knows nothing of the move. The move saved the locator in the same write, so the
        locator is read again: then it names the move (which a retry answers from) and
        the allocation the activity is on now."""
        for _ in range(CONFLICT_RETRIES):
            locator = self.located(activity_id, "activity")
            source = self.get(Allocation, locator.owner_id)
            entry = source.activities.get(str(activity_id))
            if entry is None or entry.moved_to is None:
                break
        return locator, source

    def _replay_of_move(
        self, locator: Locator, activity_id: UUID, allocation_id: UUID, request: RequestId
    ) -> Written[Move] | None:
        """The first outcome of a retried move (the same key naming another allocation
        is refused); the allocations as they stand now."""
        move = locator.moves.get(request.key)
        if move is None:
            return None
        require_same_request({"allocation_id": move["to"]}, {"allocation_id": allocation_id})
        source, target = self.get(Allocation, move["from"]), self.get(Allocation, move["to"])
        position = self.position_of(locator.id, move["version"])
        return Written(Move(source, target, activity_id), position, replayed=True)
