"""Giving someone access, as the admin's access page sends it: the fields of
`tokens create` (service/cli/tokens.py), checked as the API checks its fields, then
by the same ledger command (`Ledger.issue_token`), which holds the rules."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from service.domain.tokens import ROLES
from service.web.schemas.common import NAME

DELIVERIES = ("link", "token")
"""A one-time sign-in link for the person to open, or the token itself (for the API)."""


class AccessGrantSchema(ma.Schema):
    role = ma.fields.String(required=True, validate=validate.OneOf(ROLES))
    name = ma.fields.String(validate=NAME)
    member = ma.fields.String(validate=NAME)
    engagement_id = ma.fields.UUID()
    delivery = ma.fields.String(required=True, validate=validate.OneOf(DELIVERIES))
