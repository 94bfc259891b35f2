"""Bring one deal's engagement up to date with what the HubSpot API says about the deal.

Each step is idempotent, so a sync interrupted anywhere (HubSpot down, a restart) is
simply done again: the default project and allocation get ids derived from the
engagement's, and the details are recorded last and only once, which is what marks
the engagement as done.
"""

from __future__ import annotations

import logging
from uuid import UUID, uuid5

from integrations.hubspot.client import HubSpotDeals, Refused
from integrations.hubspot.deal import Contract, Deal, contract, engagement_changes
from integrations.hubspot.deal_policy import checked_deal
from service.application import IdempotencyKeyReused, Ledger
from service.application.caller import Caller
from service.domain import Conflict, Engagement, RuleViolation
from service.infra.config import HubSpotSettings

log = logging.getLogger(__name__)

ACTOR = "hubspot"
PROJECT_NAME = "Contracted hours"
PROJECT_OUTCOME = "Deliver the hours sold with the HubSpot deal"


def needs_details(engagement: Engagement) -> bool:
    """An engagement from a deal waits for its details until they are recorded, or
    until it is closed."""
    return engagement.deal_id is not None and not engagement.deal_details and not engagement.closed


def default_project_id(engagement_id: UUID) -> UUID:
    return uuid5(engagement_id, "hubspot:default-project")


def default_allocation_id(engagement_id: UUID) -> UUID:
    return uuid5(engagement_id, "hubspot:default-allocation")


class DealSync:
    def __init__(self, deals: HubSpotDeals, settings: HubSpotSettings):
        self._deals = deals
        self._settings = settings

    def sync(self, ledger: Ledger, engagement_id: UUID) -> None:
        """Fetch the deal and record what it says; raises client.Unavailable or
        client.Refused when HubSpot does not answer."""
        engagement = ledger.engagement(engagement_id)
        if not needs_details(engagement):
            return
        deal, refusals = checked_deal(
            self._deals.fetch(str(engagement.deal_id)), self._settings, str(engagement.deal_id)
        )
        for refusal in refusals:
            log.warning(
                "HubSpot deal %s: %s %s; recorded as missing",
                deal.id,
                refusal.field,
                refusal.reason,
            )
        try:
            sold = contract(deal, self._settings)
            if sold is not None:
                self._grant(ledger, engagement_id, deal, sold)
            self._write_back_url(deal, engagement_id)
            ledger.record_deal_details(
                engagement_id,
                changes=engagement_changes(deal, self._settings),
                refused=refusals,
            )
        except Conflict as error:
            log.info(
                "HubSpot deal %s: engagement %s not updated: %s", deal.id, engagement_id, error
            )

    def _grant(self, ledger: Ledger, engagement_id: UUID, deal: Deal, sold: Contract) -> None:
        project_id = default_project_id(engagement_id)
        ledger.define_project(
            engagement_id,
            name=PROJECT_NAME,
            outcome=PROJECT_OUTCOME,
            caller=Caller(ACTOR, request_id=project_id),
        )
        try:
            ledger.grant_allocation(
                project_id,
                start_date=sold.start_date,
                end_date=sold.end_date,
                units=sold.units,
                description=f"{sold.units} hours sold with HubSpot deal {deal.id}",
                provider=None,
                caller=Caller(ACTOR, request_id=default_allocation_id(engagement_id)),
            )
        except IdempotencyKeyReused:
            log.info(
                "HubSpot deal %s: its allocation was granted before, with the deal's earlier terms",
                deal.id,
            )
        except RuleViolation as error:
            log.warning("HubSpot deal %s: no allocation granted: %s", deal.id, error)

    def _write_back_url(self, deal: Deal, engagement_id: UUID) -> None:
        """Put the engagement's URL on the deal, when configured and not there yet."""
        name, template = self._settings.url_property, self._settings.engagement_url
        if name is None or template is None:
            return
        url = template.replace("{id}", str(engagement_id))
        if deal.properties.get(name) == url:
            return
        try:
            self._deals.write_property(deal.id, name, url)
        except Refused as error:
            log.error("HubSpot: %s; the details are recorded without it", error)
