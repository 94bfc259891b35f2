"""Every route of the API, with fixed ids, for the tests that try each one (roles, hostile
input)."""

from __future__ import annotations

# Fixed, not random: test ids name it, and pytest-xdist workers must collect alike.
ANY = "1d948146-562e-4261-8e44-d92210d21aed"
MONTH = "2024-01"
ROUTES = [
    ("POST", "/api/engagements"),
    ("GET", "/api/engagements"),
    ("GET", f"/api/engagements/{ANY}"),
    ("PATCH", f"/api/engagements/{ANY}"),
    ("POST", f"/api/engagements/{ANY}/closure"),
    ("POST", f"/api/engagements/{ANY}/projects"),
    ("POST", f"/api/projects/{ANY}/allocations"),
    ("POST", f"/api/projects/{ANY}/allocation-series"),
    ("GET", f"/api/allocations/{ANY}"),
    ("PATCH", f"/api/allocations/{ANY}"),
    ("POST", f"/api/allocations/{ANY}/cancellation"),
    ("POST", f"/api/allocations/{ANY}/activities"),
    ("GET", f"/api/allocations/{ANY}/activities"),
    ("POST", f"/api/projects/{ANY}/activities"),
    ("POST", f"/api/activities/{ANY}/corrections"),
    ("POST", f"/api/activities/{ANY}/retraction"),
    ("POST", f"/api/activities/{ANY}/move"),
    ("POST", "/api/team-members"),
    ("GET", "/api/team-members"),
    ("PATCH", "/api/team-members/ana"),
    ("POST", "/api/team-members/ana/hand-over"),
    ("GET", f"/api/audit/streams/{ANY}"),
    ("GET", "/api/audit/events"),
    ("GET", "/api/audit/checkpoint"),
    ("GET", "/api/audit/checkpoints"),
    ("GET", "/api/audit/public-key"),
    ("GET", "/api/audit/proof/inclusion"),
    ("GET", "/api/audit/proof/consistency"),
    ("GET", "/api/allocations"),
    ("GET", "/api/reports/monthly"),
    ("GET", "/api/reports/capacity"),
    ("GET", "/api/reports/planning"),
    ("GET", "/api/reports/late-activities"),
    ("POST", f"/api/engagements/{ANY}/statements"),
    ("GET", f"/api/engagements/{ANY}/statements"),
    ("GET", f"/api/statements/{ANY}"),
    ("POST", f"/api/periods/{MONTH}/closure"),
    ("GET", "/api/periods"),
    ("GET", "/api/me"),
    ("GET", "/api/me/allocations"),
    ("GET", "/api/me/activities"),
    ("POST", "/api/imports/activities"),
    ("POST", "/api/imports/allocations"),
]
