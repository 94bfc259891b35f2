"""People who sign in with the organisation's identity provider (docs/how-to/sign-in-with-sso.md).

An admin gives a person a role by their email; the person is an aggregate whose id is
derived from that email, so finding them at their first sign-in is a read of one small
stream. Their first sign-in with a verified email links the provider's subject (its
stable id for the account) to them; an `Identity`, keyed by provider and subject, is the
index later sign-ins are matched through, so a changed email at the provider still signs
the same person in, and an account that happens to take over the email later does not.

A sign-in that is refused is a `SignInRefusal` of its own, so that the audit log holds
every refusal and nothing else is written for it. All of these are bookkeeping
(service/application/event_catalogue.py), as tokens are."""

from __future__ import annotations

import re
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from service.domain.errors import Conflict, RuleViolation
from service.domain.tokens import MAX_NAME, ROLES

PERSON_NAMESPACE = uuid5(NAMESPACE_URL, "urn:community-enablement:person")
IDENTITY_NAMESPACE = uuid5(NAMESPACE_URL, "urn:community-enablement:identity")
MAX_EMAIL = 254
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def normal_email(email: str) -> str:
    """An email as people are known by it: trimmed and in lower case (providers differ in
    the case they send)."""
    return email.strip().lower()


def person_id(email: str) -> UUID:
    return uuid5(PERSON_NAMESPACE, normal_email(email))


def identity_id(provider: str, subject: str) -> UUID:
    return uuid5(IDENTITY_NAMESPACE, f"{provider}\n{subject}")


def _grant(role: str, member: str | None, engagement_id: UUID | None) -> None:
    """The role rules a person's grant follows, as a token's do."""
    if role not in ROLES:
        raise RuleViolation(f"role must be one of {', '.join(ROLES)}", "role")
    if role == "member" and not member:
        raise RuleViolation("a member is given their team member record", "member")
    if role == "viewer" and engagement_id is None:
        raise RuleViolation("a viewer is given the engagement they may see", "engagement")


def _name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise RuleViolation("give the person's full name", "name")
    if len(name) > MAX_NAME:
        raise RuleViolation(f"a name has at most {MAX_NAME} characters", "name")
    return name


class Person(Aggregate):
    class PersonAdded(Aggregate.Created):
        email: str
        name: str
        role: str
        member: str | None
        engagement_id: UUID | None
        actor: str

    def __init__(
        self, email: str, name: str, role: str, member: str | None, engagement_id: UUID | None
    ):
        self.email = email
        self.name = name
        self.role = role
        self.member = member
        self.engagement_id = engagement_id
        self.removed = False
        self.identities: dict[str, str] = {}

    @classmethod
    def add(cls, *, email: str, name: str, **grant: Any) -> Person:
        """`grant`: role, member, engagement id and actor, by name."""
        email = normal_email(email)
        if len(email) > MAX_EMAIL or not EMAIL.fullmatch(email):
            raise RuleViolation("give the person's email address, as name@example.org", "email")
        _grant(grant["role"], grant["member"], grant["engagement_id"])
        return cls._create(
            cls.PersonAdded, id=person_id(email), email=email, name=_name(name), **grant
        )

    def give_role(self, *, name: str, **grant: Any) -> None:
        """Give someone added before (removed since, or with another role) this role."""
        _grant(grant["role"], grant["member"], grant["engagement_id"])
        self.trigger_event(self.RoleGiven, name=_name(name), **grant)

    class RoleGiven(Aggregate.Event):
        name: str
        role: str
        member: str | None
        engagement_id: UUID | None
        actor: str

        def apply(self, person: Person) -> None:
            person.name, person.role = self.name, self.role
            person.member, person.engagement_id = self.member, self.engagement_id
            person.removed = False

    def remove(self, actor: str) -> None:
        if self.removed:
            raise Conflict(f"{self.email} has no role to remove")
        self.trigger_event(self.PersonRemoved, actor=actor)

    class PersonRemoved(Aggregate.Event):
        actor: str

        def apply(self, person: Person) -> None:
            person.removed = True

    def link(self, provider: str, subject: str) -> None:
        """The provider's account `subject` is this person's, from now on."""
        self.trigger_event(self.IdentityLinked, provider=provider, subject=subject, actor=self.name)

    class IdentityLinked(Aggregate.Event):
        provider: str
        subject: str
        actor: str

        def apply(self, person: Person) -> None:
            person.identities[self.provider] = self.subject

    def sign_in(self, provider: str) -> None:
        self.trigger_event(self.PersonSignedIn, provider=provider, actor=self.name)

    class PersonSignedIn(Aggregate.Event):
        provider: str
        actor: str


class Identity(Aggregate):
    """The person a provider's account signs in as: found by provider and subject."""

    class IdentityClaimed(Aggregate.Created):
        provider: str
        subject: str
        person_id: UUID
        actor: str

    def __init__(self, provider: str, subject: str, person_id: UUID):
        self.provider = provider
        self.subject = subject
        self.person_id = person_id

    @classmethod
    def claim(cls, provider: str, subject: str, person: Person) -> Identity:
        return cls._create(
            cls.IdentityClaimed,
            id=identity_id(provider, subject),
            provider=provider,
            subject=subject,
            person_id=person.id,
            actor=person.name,
        )


class SignInRefusal(Aggregate):
    """One refused sign-in: what the provider said (as far as it was trusted) and why."""

    class SignInRefused(Aggregate.Created):
        provider: str
        reason: str
        email: str | None
        subject: str | None
        actor: str

    def __init__(self, provider: str, reason: str, email: str | None, subject: str | None):
        self.provider = provider
        self.reason = reason
        self.email = email
        self.subject = subject

    @classmethod
    def record(
        cls, *, provider: str, reason: str, email: str | None, subject: str | None
    ) -> SignInRefusal:
        return cls._create(
            cls.SignInRefused,
            provider=provider,
            reason=reason,
            email=email,
            subject=subject,
            actor=email or "anonymous",
        )
