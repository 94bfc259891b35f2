"""Who asks for a command: one value, built once per request by the API
(service/web/http/auth.py) and by the pages (service/web/pages/people.py), and passed to
every command as its one `caller` argument. System callers (HubSpot, the demo, the
command line, tests) build one with `Caller(actor)`.

The rules that read it are in service/application/access.py; the roles each command and
page needs are in service/application/permissions.py."""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID


@dataclass(frozen=True)
class Caller:
    """`actor`: the person recorded as the `actor` of every event the command causes.
    `role`: the token's role; None for a system caller, which no role rule lets through
    (it may not change a closed month). `member`: the team member the token names.
    `engagement_id`: the one engagement a viewer's token is limited to. `request_id`:
    the request's idempotency key (the client's key made unique per token and route,
    or the form's), which becomes the id of what the request creates."""

    actor: str
    role: str | None = None
    member: str | None = None
    engagement_id: UUID | None = None
    request_id: UUID | None = None

    @property
    def only_member(self) -> str | None:
        """The one member this caller may act for: a member token acts only for its
        member; anyone else (a manager recording for the team) for anybody."""
        return self.member if self.role == "member" else None

    def for_request(self, request_id: UUID | None) -> Caller:
        """The same caller, for the write whose idempotency key is `request_id`."""
        return replace(self, request_id=request_id)
