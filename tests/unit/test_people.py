"""A person given a role by email (service/domain/people.py): keyed by the email as
people are known by it, held to the role rules a token is, removed once."""

from uuid import uuid4

import pytest

from service.domain import Conflict, RuleViolation
from service.domain.people import Person, person_id

GRANT = {"member": None, "engagement_id": None, "actor": "test"}


def test_a_person_is_keyed_by_their_email_in_lower_case():
    person = Person.add(email="  Ada@Example.ORG ", name=" Ada  Lovelace ", role="bd", **GRANT)
    assert person.id == person_id("ada@example.org")
    assert (person.email, person.name) == ("ada@example.org", "Ada Lovelace")


@pytest.mark.parametrize(
    ("email", "role", "grant", "field"),
    [
        ("not-an-email", "bd", {}, "email"),
        ("a@example.org", "root", {}, "role"),
        ("a@example.org", "member", {}, "member"),
        ("a@example.org", "viewer", {}, "engagement"),
    ],
)
def test_a_grant_breaking_a_role_rule_is_refused_naming_its_field(email, role, grant, field):
    with pytest.raises(RuleViolation) as refused:
        Person.add(email=email, name="A", role=role, **{**GRANT, **grant})
    assert refused.value.field == field


def test_a_viewer_is_given_their_engagement_and_a_removal_happens_once():
    engagement = uuid4()
    person = Person.add(
        email="v@example.org", name="V", role="viewer", **{**GRANT, "engagement_id": engagement}
    )
    assert person.engagement_id == engagement
    person.remove(actor="test")
    with pytest.raises(Conflict):
        person.remove(actor="test")
    person.give_role(name="V", role="auditor", **GRANT)
    assert (person.role, person.removed, person.engagement_id) == ("auditor", False, None)
