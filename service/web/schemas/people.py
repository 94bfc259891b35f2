"""Giving a person a role by email, as the admin's people page sends it: the fields of
`people add` (service/cli/people.py), checked as the API checks its fields, then by the
same ledger command (`Ledger.add_person`), which holds the rules."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from service.domain.people import MAX_EMAIL
from service.domain.tokens import ROLES
from service.web.schemas.common import NAME


class PersonGrantSchema(ma.Schema):
    email = ma.fields.Email(required=True, validate=validate.Length(max=MAX_EMAIL))
    role = ma.fields.String(required=True, validate=validate.OneOf(ROLES))
    name = ma.fields.String(validate=NAME)
    member = ma.fields.String(validate=NAME)
    engagement_id = ma.fields.UUID()
