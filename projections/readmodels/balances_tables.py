"""The balances read model's tables (readmodels/balances.py): engagements, projects,
allocations and their as-of history (history.py), and what the model keeps to turn
events into them (each activity's units, the team's handles and departures)."""

from __future__ import annotations

from projections.engine.history import STAMP, Versioned

ENGAGEMENT_FIELDS = ("name", "community", "description", "start_date", "end_date", "contacts")

ENGAGEMENTS = (
    "id TEXT PRIMARY KEY, name TEXT NOT NULL, community TEXT NOT NULL, "
    "description TEXT NOT NULL, start_date TEXT, end_date TEXT, contacts TEXT NOT NULL, "
    "portal_id BIGINT, deal_id TEXT, amount TEXT, deal_details TEXT NOT NULL, "
    "closed INTEGER NOT NULL, created_on TEXT NOT NULL, position BIGINT NOT NULL, "
    "currency TEXT, deal_stage TEXT, deal_stage_at TEXT, deal_reopened INTEGER NOT NULL, " + STAMP
)
"""`currency`: the deal's, with its `amount` (a decimal string); `deal_stage`, `deal_stage_at`:
where the deal stands, as the latest stage change recorded says (DealClosedWon, DealReopened,
DealWonAgain) and when it happened; `deal_reopened`: the won deal has moved out of closed-won
(version 4 added these four)."""
ALLOCATIONS = (
    "id TEXT PRIMARY KEY, engagement_id TEXT NOT NULL, project_id TEXT NOT NULL, "
    "start_date TEXT NOT NULL, end_date TEXT NOT NULL, description TEXT NOT NULL, "
    "provider TEXT, units INTEGER NOT NULL, units_used INTEGER NOT NULL, "
    "cancelled_on TEXT, cancel_reason TEXT, version INTEGER NOT NULL, "
    "modified_on TEXT NOT NULL, position BIGINT NOT NULL, provider_departed_on TEXT, " + STAMP
)
"""`provider_departed_on`: the date the provider's departure takes effect, if recorded
(kept from the view's `members`, so `provider_departed` is read with the row); current rows'
only, not versioned: the reports as of a position take departures from the team view."""
ENGAGEMENT_VERSIONS = Versioned(
    "engagements",
    key=("id",),
    columns=(
        "id", "name", "community", "description", "start_date", "end_date", "contacts",
        "portal_id", "deal_id", "amount", "deal_details", "closed", "created_on", "position",
        "currency", "deal_stage", "deal_stage_at", "deal_reopened",
    ),
)  # fmt: skip
ALLOCATION_TERMS = Versioned(
    "allocations",
    key=("id",),
    columns=(
        "id", "engagement_id", "project_id", "start_date", "end_date", "description",
        "provider", "units", "cancelled_on", "cancel_reason", "position",
    ),
)  # fmt: skip
"""An allocation's terms are versioned, not its units used (changed by every activity):
the reports take the units used from `usage`, itself versioned."""

TABLES = {
    "engagements": ENGAGEMENTS,
    "engagements_history": ENGAGEMENT_VERSIONS.history_definitions(ENGAGEMENTS),
    "projects": (
        "id TEXT PRIMARY KEY, engagement_id TEXT NOT NULL, name TEXT NOT NULL, "
        "outcome TEXT NOT NULL, position BIGINT NOT NULL"
    ),
    "allocations": ALLOCATIONS,
    "allocations_history": ALLOCATION_TERMS.history_definitions(ALLOCATIONS),
    # Each activity's units as they now stand, to turn a correction or a
    # retraction into a change of the allocation's units used.
    "activity_units": (
        "id TEXT PRIMARY KEY, allocation_id TEXT NOT NULL, units INTEGER NOT NULL, "
        "live INTEGER NOT NULL"
    ),
    # The team's handles and departures, for the allocations they provide (a
    # departure event names the member's stream, not their handle).
    "members": "member_id TEXT PRIMARY KEY, handle TEXT NOT NULL, departed_on TEXT",
}
INDEXES = {
    "engagements_in_order": ("engagements", "position"),
    "projects_by_engagement": ("projects", "engagement_id, position"),
    "allocations_in_order": ("allocations", "position"),
    "allocations_by_engagement": ("allocations", "engagement_id, position"),
    "allocations_by_end": ("allocations", "end_date, start_date"),
    "allocations_by_provider": ("allocations", "provider"),
    "members_by_handle": ("members", "handle"),
    "engagements_history_by_id": ("engagements_history", "id, valid_to"),
    "allocations_history_by_end": ("allocations_history", "end_date, start_date"),
}
KEYS = {
    "engagements": ("id",),
    "projects": ("id",),
    "allocations": ("id",),
    "activity_units": ("id",),
    "members": ("member_id",),
}
