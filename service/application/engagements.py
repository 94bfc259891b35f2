"""Engagement commands: open by hand or from a won deal, update details, close, and
define projects."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from service.application.base import LedgerBase
from service.application.caller import Caller
from service.application.commands import RequestId, Written, command
from service.application.idempotency import replay_of_creation, require_same_request
from service.domain import Engagement, Locator, NotFound, engagement_id_for_deal


class EngagementCommands(LedgerBase):
    @command
    def open_engagement(
        self, *, caller: Caller, request: RequestId, **details: Any
    ) -> Written[Engagement]:
        """`details`: the engagement's by name, as `Engagement.open` declares them
        (service/domain/engagement.py: name, community, description, dates, contacts)."""
        terms = {**details, "contacts": list(details["contacts"] or [])}
        replay = replay_of_creation(self, Engagement, request.value, terms)
        if replay:
            return replay
        engagement = Engagement.open(id=request.value, actor=caller.actor, **terms)
        return self.save_all(engagement, value=engagement)

    @command
    def record_closed_won_deal(self, *, request: RequestId, **deal: Any) -> Written[Engagement]:
        """Create the deal's engagement unless it exists: HubSpot delivers at least
        once, and the deal's derived id makes every delivery after the first a no-op.
        `deal`: the won deal's facts by name, as the `DealClosedWon` event
        (service/domain/engagement.py) declares them."""
        engagement = Engagement.from_closed_won_deal(**deal)
        if self.exists(engagement.id):
            existing = self.get(Engagement, engagement.id)
            return Written(existing, self.position_of(existing.id, 1), replayed=True)
        return self.save_all(engagement, value=engagement)

    @command
    def record_deal_stage(
        self,
        *,
        portal_id: int,
        deal_id: str,
        stage: str,
        won: bool,
        occurred_at: datetime,
        webhook_event_id: int,
        request: RequestId,
    ) -> Written[Engagement] | None:
        """Record a later stage change of a deal whose engagement exists (`DealReopened`
        or `DealWonAgain`); None when the deal has no engagement (never won here: nothing
        to flag). A change that is not newer than the one recorded writes nothing and
        answers `replayed`, so HubSpot's duplicates and late deliveries are harmless."""
        engagement_id = engagement_id_for_deal(portal_id, deal_id)
        if not self.exists(engagement_id):
            return None
        engagement = self.get(Engagement, engagement_id)
        changed = engagement.follow_deal_stage(
            stage=stage, won=won, occurred_at=occurred_at, webhook_event_id=webhook_event_id
        )
        if not changed:
            position = self.position_of(engagement.id, engagement.version)
            return Written(engagement, position, replayed=True)
        return self.save_all(engagement, value=engagement)

    @command
    def update_engagement_details(
        self, engagement_id: UUID, *, changes: dict[str, Any], caller: Caller, request: RequestId
    ) -> Written[Engagement]:
        engagement = self.get(Engagement, engagement_id)
        engagement.update_details(changes=changes, actor=caller.actor)
        return self.save_all(engagement, value=engagement)

    @command
    def record_deal_details(
        self,
        engagement_id: UUID,
        *,
        changes: dict[str, Any],
        refused: Iterable[tuple[str, str]] = (),
        request: RequestId,
    ) -> Written[Engagement]:
        """Record the details fetched from HubSpot for a deal's engagement, once, with
        the fields that were `refused` (field, reason) and so are missing from them.

        Every web process may fetch the same deal; when two record at the same time,
        the second clashes on the engagement's version, and its retry finds the
        details there and writes nothing."""
        engagement = self.get(Engagement, engagement_id)
        if engagement.deal_details:
            position = self.position_of(engagement.id, engagement.version)
            return Written(engagement, position, replayed=True)
        engagement.require_open()
        for field, reason in refused:
            engagement.refuse_hubspot_field(field=field, reason=reason)
        engagement.update_details(changes=changes, actor="hubspot")
        return self.save_all(engagement, value=engagement)

    @command
    def close_engagement(
        self, engagement_id: UUID, *, reason: str, caller: Caller, request: RequestId
    ) -> Written[Engagement]:
        engagement = self.get(Engagement, engagement_id)
        engagement.close(reason=reason, actor=caller.actor)
        return self.save_all(engagement, value=engagement)

    @command
    def define_project(
        self,
        engagement_id: UUID,
        *,
        name: str,
        outcome: str,
        caller: Caller,
        request: RequestId,
    ) -> Written[tuple[Engagement, UUID]]:
        engagement = self.get(Engagement, engagement_id)
        project_id = request.value
        if str(project_id) in engagement.projects:
            return self._replay_of_project(engagement, project_id, name=name, outcome=outcome)
        engagement.define_project(
            project_id=project_id, name=name, outcome=outcome, actor=caller.actor
        )
        locator = Locator.place(id=project_id, kind="project", owner_id=engagement.id)
        return self.save_all(locator, engagement, value=(engagement, project_id))

    def _replay_of_project(
        self, engagement: Engagement, project_id: UUID, **terms: str
    ) -> Written[tuple[Engagement, UUID]]:
        project = engagement.projects[str(project_id)]
        require_same_request({k: project[k] for k in terms}, terms)
        for domain_event in self.events.get(engagement.id):
            if getattr(domain_event, "project_id", None) == project_id:
                position = self.position_of(engagement.id, domain_event.originator_version)
                return Written((engagement, project_id), position, replayed=True)
        raise NotFound(f"project {project_id} is not defined")
