"""People given a role by email, and signing them in with an identity provider
(service/domain/people.py): added, listed and removed from the command line
(service/cli/people.py); signed in by the pages of service/web/pages/sso.py, which
check the provider's answer and hand this module an identity they trust."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import get_topic

from service.application.base import LedgerBase
from service.domain import Engagement, NotFound, TeamMember, team_member_id
from service.domain.errors import DomainError
from service.domain.people import Identity, Person, SignInRefusal, identity_id, person_id


class SignInRefused(DomainError):
    """A sign-in with a provider that is refused: recorded as a `SignInRefused` event
    before it is raised. `reason` is the recorded reason's key (REASONS)."""

    def __init__(self, reason: str):
        super().__init__(REASONS[reason])
        self.reason = reason


REASONS = {
    "state": "the sign-in did not start here, or took too long: start it again",
    "provider": "the identity provider did not confirm who you are",
    "unverified_email": "the identity provider has not verified your email address",
    "unknown_person": "nobody has given you a role here",
    "removed": "your role here has been removed",
    "departed": "your team member record says you have left",
    "other_account": "you are already linked to another account at this provider",
    "not_in_org": "your GitHub account is not a member of the organisation",
}
"""Why a sign-in is refused, as the refusal page says it and the log records its key."""


@dataclass(frozen=True)
class ProvidedIdentity:
    """Who a provider says is signing in, once its answer has been verified."""

    provider: str
    subject: str
    email: str | None
    email_verified: bool


class PeopleCommands(LedgerBase):
    def add_person(
        self,
        *,
        email: str,
        role: str,
        actor: str,
        name: str | None = None,
        member: str | None = None,
        engagement_id: UUID | None = None,
    ) -> Person:
        """Give the person with `email` a role (their member record, for a member; their
        engagement, for a viewer). Someone added before is given the new role. The name
        is `name`, or else the member's registered name."""
        if member is not None:
            self.require_member_exists(member, "member")
        if engagement_id is not None:
            self.get(Engagement, engagement_id)
        if name is None and member is not None:
            name = self.get(TeamMember, team_member_id(member)).name
        grant = {"role": role, "member": member, "engagement_id": engagement_id, "actor": actor}
        person = self._person(person_id(email))
        if person is None:
            person = Person.add(email=email, name=name or "", **grant)
        else:
            person.give_role(name=name or person.name, **grant)
        self.save(person)
        return person

    def remove_person(self, email: str, *, actor: str) -> Person:
        """Take the person's role away: their sessions end at their next request."""
        person = self._person(person_id(email))
        if person is None:
            raise NotFound(f"nobody was given a role as {email.strip()}")
        return self._remove(person, actor)

    def remove_person_by_id(self, key: UUID, *, actor: str) -> Person:
        """The same, for a person known by their id (as the people page lists them)."""
        person = self._person(key)
        if person is None:
            raise NotFound("no such person")
        return self._remove(person, actor)

    def _remove(self, person: Person, actor: str) -> Person:
        person.remove(actor=actor)
        self.save(person)
        return person

    def people(self) -> list[Person]:
        """Everyone ever given a role (removed ones too), by email: read from the log's
        `PersonAdded` events, as there are few people."""
        topic = get_topic(Person.PersonAdded)
        added = self.recorder.select_notifications(start=1, limit=sys.maxsize, topics=[topic])
        people = (self._person(notification.originator_id) for notification in added)
        return sorted((p for p in people if p is not None), key=lambda p: p.email)

    def person_by_id(self, key: UUID) -> Person | None:
        """The person a browser session is for, while they may sign in: not removed,
        and not a member whose departure has taken effect."""
        person = self._person(key)
        if person is None or person.removed or self._departed(person):
            return None
        return person

    def sign_in_identity(self, identity: ProvidedIdentity) -> Person:
        """The person the provider's account signs in as, with the sign-in recorded (and
        the account linked to them at their first sign-in); or SignInRefused, with the
        refusal recorded and nothing else."""
        claimed = self._identity(identity.provider, identity.subject)
        if claimed is not None:
            person = self._person(claimed.person_id)
            linking = None
        else:
            if not identity.email or not identity.email_verified:
                self.refuse_sign_in(identity.provider, "unverified_email", identity)
            person = self._person(person_id(identity.email))
            linking = (
                Identity.claim(identity.provider, identity.subject, person) if person else None
            )
        reason = self._refusal(person, identity)
        if reason is not None:
            self.refuse_sign_in(identity.provider, reason, identity)
        assert person is not None
        if linking is not None:
            person.link(identity.provider, identity.subject)
        person.sign_in(identity.provider)
        self.save(*([linking] if linking else []), person)
        return person

    def refuse_sign_in(
        self, provider: str, reason: str, identity: ProvidedIdentity | None = None
    ) -> None:
        """Record the refusal, then raise it."""
        email = identity.email if identity else None
        self.save(
            SignInRefusal.record(
                provider=provider,
                reason=reason,
                email=email,
                subject=identity.subject if identity else None,
            )
        )
        raise SignInRefused(reason)

    def _refusal(self, person: Person | None, identity: ProvidedIdentity) -> str | None:
        if person is None:
            return "unknown_person"
        if person.removed:
            return "removed"
        linked = person.identities.get(identity.provider)
        if linked is not None and linked != identity.subject:
            return "other_account"
        if self._departed(person):
            return "departed"
        return None

    def _departed(self, person: Person) -> bool:
        """Whether the person's member record has a departure that has taken effect."""
        if person.member is None:
            return False
        try:
            departed_on = self.get(TeamMember, team_member_id(person.member)).departed_on
        except NotFound:
            return False
        return departed_on is not None and departed_on <= self.clock.today()

    def _person(self, key: UUID) -> Person | None:
        try:
            person = self.repository.get(key)
        except AggregateNotFoundError:
            return None
        return person if isinstance(person, Person) else None

    def _identity(self, provider: str, subject: str) -> Identity | None:
        try:
            identity = self.repository.get(identity_id(provider, subject))
        except AggregateNotFoundError:
            return None
        return identity if isinstance(identity, Identity) else None
