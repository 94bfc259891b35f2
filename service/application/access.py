"""Every authorisation rule, in one place, each applied to a `Caller`
(service/application/caller.py) and refusing with `Forbidden` (403):

- role: the caller's role must be one the permission table
  (service/application/permissions.py) gives the command, read or page;
- member scope: a member token acts only on its own member's activities;
- engagement scope: a viewer limited to one engagement sees only it (others are
  answered as not found, as ids that do not exist are);
- departed member: a token naming a member who has left writes nothing more, whatever
  its role; its reads go on (revoke it to end those). Their work dated before the
  departure is recorded or corrected by a manager;
- closed month: an activity dated in a closed month is recorded, corrected, retracted
  or moved only by a manager or admin, and the event is flagged `after_close`.

The web layer applies the first four before a view runs (the departed-member rule on
writes only); the commands apply member scope and the closed-month rule themselves, so
every caller (API, pages, imports, tests) is held to them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from uuid import UUID

from service.application.caller import Caller
from service.application.errors import Forbidden
from service.application.permissions import allows, roles_of
from service.domain.period import closed_among


def require_role(caller: Caller, key: str) -> None:
    """The API's refusal of a token whose role may not call `key`."""
    if not allows(caller.role, key):
        raise Forbidden(
            f"a {caller.role} token may not do this; "
            f"it needs one of: {', '.join(sorted(roles_of(key)))}"
        )


def require_page(caller: Caller, key: str) -> None:
    """The pages' refusal of a person whose role may not open page `key`."""
    if not allows(caller.role, key):
        raise Forbidden(f"a {caller.role} may not open this page")


def may_see_engagement(caller: Caller, engagement_id: UUID) -> bool:
    return caller.engagement_id is None or caller.engagement_id == engagement_id


def require_own_work(caller: Caller, team_member: str, verb: str) -> None:
    """A member token may `verb` (record, change, move) only its own member's work."""
    only = caller.only_member
    if only is not None and team_member != only:
        raise Forbidden(f"a member token may {verb} only {only}'s activities")


def require_kept_member(caller: Caller, team_member: str | None) -> None:
    """A correction by a member token keeps the activity theirs."""
    only = caller.only_member
    if only is not None and team_member not in (None, only):
        raise Forbidden("a member token cannot hand an activity to someone else")


def require_not_departed(caller: Caller, left_on: date | None, today: date) -> None:
    """The departed-member rule for a write; `left_on` is the departure of the
    caller's member as recorded now (read on each write, never cached, so it counts
    from its day at once)."""
    if caller.member is None or left_on is None or left_on > today:
        return
    raise Forbidden(
        f"{caller.member} left on {left_on.isoformat()}: their token can "
        "no longer write (it still reads); a manager records or corrects their work "
        "dated before that"
    )


def after_close(caller: Caller, closed: Iterable[str], *spans: tuple[date, date]) -> bool:
    """The closed-month rule for a change to an activity whose dates (every span:
    before and after a correction) are `spans`: none in a closed month → an ordinary
    change (False); in one, by a manager or admin → accepted and flagged (True); by
    anyone else (a member, or a caller with no role) → refused, naming the month."""
    months = closed_among(closed, *spans)
    if not months:
        return False
    if allows(caller.role, "change_closed_month"):
        return True
    verb = "is" if len(months) == 1 else "are"
    raise Forbidden(
        f"{' and '.join(months)} {verb} closed: only a manager or admin may record, "
        f"correct or retract activities dated in a closed month"
    )
