"""The permission table: which roles may run each command or read, and open each page.
It is the one place the role policy is written. The API's `@requires(key)`
(service/web/http/auth.py), the pages' `@page(key)` and their navigation
(service/web/pages/), the home page of each role, and the roles table of the docs
(scripts/roles_table.py renders it) all read it; the rules that apply it are in
service/application/access.py.

`admin` may do everything, so the table lists the roles besides admin. A page needs the
roles of the API route doing the same work, and says so by naming it."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from service.domain.period import MAY_CHANGE_CLOSED
from service.domain.tokens import ROLES

ADMIN = "admin"

NOBODY: frozenset[str] = frozenset()
BD = frozenset({"bd"})
MANAGERS = frozenset({"manager"})
RECORDERS = frozenset({"manager", "member"})
READERS = frozenset({"bd", "manager", "member", "auditor", "viewer"})
TEAM = frozenset({"bd", "manager", "member", "auditor"})
TEAM_REPORT_READERS = frozenset({"bd", "manager", "auditor", "viewer"})
AUDITORS = frozenset({"auditor"})
PROVERS = frozenset({"auditor", "viewer"})

_COMMANDS = {
    # Engagements, projects, statements: business development.
    "open_engagement": BD,
    "update_engagement_details": BD,
    "close_engagement": BD,
    "define_project": BD,
    "issue_statement": BD,
    # Allocations: business development.
    "grant_allocation": BD,
    "grant_allocation_series": BD,
    "amend_allocation": BD,
    "cancel_allocation": BD,
    # Activities: members for their own work, managers for anyone's.
    "record_activity": RECORDERS,
    "record_project_activity": RECORDERS,
    "correct_activity": RECORDERS,
    "retract_activity": RECORDERS,
    "move_activity": RECORDERS,
    # The team: line managers.
    "register_team_member": MANAGERS,
    "update_team_member": MANAGERS,
    # A leaver's allocations to another provider: part of the departure, by line managers.
    "hand_over_allocations": MANAGERS,
    # Balances, statements and the monthly report: every reader (a viewer limited to
    # one engagement reads only it).
    "list_engagements": READERS,
    "show_engagement": READERS,
    "list_allocations": READERS,
    "show_allocation": READERS,
    "list_activities": READERS,
    "monthly_report": READERS,
    "list_statements": READERS,
    "show_statement": READERS,
    "list_periods": READERS,
    "me": READERS,
    "my_allocations": RECORDERS,
    "my_activities": RECORDERS,
    # Colleagues' workload and timeliness: not members.
    "list_team_members": TEAM,
    "capacity_report": TEAM_REPORT_READERS,
    "planning_report": TEAM_REPORT_READERS,
    "late_activities_report": TEAM_REPORT_READERS,
    # The log: events to auditors; the checkpoint and key to everyone (a partner checks
    # a statement with them); proofs, which show hashes only, to auditors and viewers.
    "stream_history": AUDITORS,
    "audit_events": AUDITORS,
    "checkpoint": READERS,
    "checkpoints": READERS,
    "public_key": READERS,
    "inclusion_proof": PROVERS,
    "consistency_proof": PROVERS,
    # Admin only.
    "close_period": NOBODY,
    "import_activities": NOBODY,
    "import_allocations": NOBODY,
    "issue_token": NOBODY,
    "list_tokens": NOBODY,
    "revoke_token": NOBODY,
    # People who sign in with an identity provider (service/application/people.py).
    "add_person": NOBODY,
    "remove_person": NOBODY,
    # Not a route: who may record, correct, retract or move an activity dated in a
    # closed month (the event is then flagged `after_close`).
    "change_closed_month": frozenset(MAY_CHANGE_CLOSED) - {ADMIN},
}

_PAGES = {
    "page:my_work": _COMMANDS["record_activity"],
    "page:review": MANAGERS,  # a subset of the team reports' readers
    "page:entry_history": MANAGERS,  # an entry the review lists, followed in the log
    "page:plan": _COMMANDS["grant_allocation"],
    "page:engagements": _COMMANDS["list_engagements"],
    "page:reports": _COMMANDS["monthly_report"],
    "page:audit": _COMMANDS["audit_events"],
    "page:team": _COMMANDS["register_team_member"],
    "page:months": _COMMANDS["list_periods"],
    "page:close_month": _COMMANDS["close_period"],
    "page:statements": _COMMANDS["list_statements"],
    "page:issue_statement": _COMMANDS["issue_statement"],
    "page:imports": _COMMANDS["import_activities"] | _COMMANDS["import_allocations"],
    # Who is sent notices: providers, line managers and BD (no API route does this).
    "page:notifications": RECORDERS | BD,
    # A form page runs one command: it needs that command's roles.
    "page:open_engagement": _COMMANDS["open_engagement"],
    "page:update_engagement_details": _COMMANDS["update_engagement_details"],
    "page:close_engagement": _COMMANDS["close_engagement"],
    "page:define_project": _COMMANDS["define_project"],
    "page:grant_allocation": _COMMANDS["grant_allocation"],
    "page:grant_allocation_series": _COMMANDS["grant_allocation_series"],
    "page:amend_allocation": _COMMANDS["amend_allocation"],
    "page:cancel_allocation": _COMMANDS["cancel_allocation"],
    "page:access": _COMMANDS["issue_token"],
    "page:people": _COMMANDS["add_person"],
}

PERMISSIONS: Mapping[str, frozenset[str]] = MappingProxyType(_COMMANDS | _PAGES)
"""Command, read or page → the roles besides admin that may run or open it."""

HOME_OF_ROLE: Mapping[str, str] = MappingProxyType(
    {
        "member": "page:my_work",
        "manager": "page:review",
        "bd": "page:plan",
        "auditor": "page:audit",
        "viewer": "page:engagements",
        "admin": "page:engagements",
    }
)
"""The page each role lands on after signing in (a manager or admin who records their
own work lands on My work instead: service/web/pages/people.py)."""


def roles_of(key: str) -> tuple[str, ...]:
    """Every role that may run or open `key`, admin included, in the order of ROLES.
    An unknown key is a KeyError: a decorator naming one fails at import."""
    allowed = PERMISSIONS[key] | {ADMIN}
    return tuple(role for role in ROLES if role in allowed)


def allows(role: str | None, key: str) -> bool:
    return role is not None and role in roles_of(key)
