"""The HubSpot CRM API calls the integration makes, through hubspot-api-client.

Every call has a timeout, and every failure is reported as one of two kinds, which
is all the follower needs to decide when to try again: `Unavailable` (HubSpot is down,
slow or rate-limiting: retry with backoff, or after its Retry-After) and `Refused`
(HubSpot answered 4xx: retrying soon will not help). The SDK's own retries are off,
so that the backoff lives in one place.

Every HubSpot API call of the service is made here. hubspot-api-client 12.0.0 only knows
the numbered paths (`/crm/v3/objects/deals/{id}`), not the date-versioned ones
(`/crm/objects/2026-03/deals/{id}`) HubSpot recommends since 2026-03-30; when a release has them,
this module is the one to change (docs/how-to/hubspot-app.md, "API versions and rate limits").
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import urllib3
from hubspot import HubSpot
from hubspot.crm.companies.exceptions import ApiException as CompanyApiException
from hubspot.crm.deals import (
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
)
from hubspot.crm.deals.exceptions import ApiException as DealApiException
from urllib3.util.retry import Retry

from integrations.hubspot.deal import Deal, properties_to_fetch
from service.infra.config import HubSpotSettings

log = logging.getLogger(__name__)

MAX_RETRY_AFTER = 3600.0

# What the calls below need, and no more: reading a deal (its `dealstage` webhooks too) and
# its company's name. The HubSpot app (integrations/hubspot/app/) requests exactly these,
# which tests/unit/test_hubspot_app_files.py holds it to.
SCOPES = ("crm.objects.deals.read", "crm.objects.companies.read")
# `write_property` (HUBSPOT_ENGAGEMENT_URL) needs this as well. A static-auth app can have
# required scopes only, so it is added to the app only where the write-back is switched on.
WRITE_BACK_SCOPES = ("crm.objects.deals.write",)


class Unavailable(Exception):
    """HubSpot could not answer now. `retry_after` is its Retry-After, in seconds,
    when it gave one; `rate_limited` says the whole account must wait (429)."""

    def __init__(self, message: str, retry_after: float | None = None, rate_limited: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.rate_limited = rate_limited


class Refused(Exception):
    """HubSpot refused the request (400, 401, 403, 404...): a setting or the deal
    needs a person's attention."""


@dataclass(frozen=True)
class FoundDeal:
    """A deal as the search answers it: its id, stage and when HubSpot last changed it."""

    id: str
    stage: str | None
    last_modified: datetime


@dataclass(frozen=True)
class SearchPage:
    """One page of a deal search, in `hs_lastmodifieddate` order; `next_after` is
    HubSpot's cursor for the following page (None: this was the last)."""

    deals: list[FoundDeal]
    next_after: str | None
    total: int


class HubSpotDeals:
    """Reads a deal with its primary company, searches won deals by when they last
    changed, and writes one property back."""

    def __init__(self, settings: HubSpotSettings):
        client = HubSpot(
            access_token=settings.access_token, host=settings.api_base, retry=Retry(total=0)
        )
        # Each access to client.crm... builds a new API client; keep one of each so
        # that connections are reused.
        self._deals = client.crm.deals.basic_api
        self._companies = client.crm.companies.basic_api
        self._search = client.crm.deals.search_api
        self._timeout = settings.timeout_seconds
        self._properties = properties_to_fetch(settings)

    def fetch(self, deal_id: str) -> Deal:
        with _translated(f"reading deal {deal_id}"):
            found = self._deals.get_by_id(
                deal_id,
                properties=self._properties,
                associations=["companies"],
                _request_timeout=self._timeout,
            )
        company_id = _primary_company(found.associations)
        return Deal(
            id=str(found.id),
            properties=dict(found.properties),
            company_id=company_id,
            company_name=None if company_id is None else self._company_name(company_id),
        )

    def search_modified(
        self, stages: frozenset[str], since: datetime, *, limit: int, after: str | None = None
    ) -> SearchPage:
        """Deals in one of `stages` that HubSpot changed at or after `since`, oldest
        change first (POST /crm/v3/objects/deals/search; `crm.objects.deals.read`)."""
        since_ms = int(since.timestamp() * 1000)
        request = PublicObjectSearchRequest(
            filter_groups=[
                FilterGroup(
                    filters=[
                        Filter(property_name="dealstage", operator="IN", values=sorted(stages)),
                        Filter(
                            property_name="hs_lastmodifieddate", operator="GTE", value=str(since_ms)
                        ),
                    ]
                )
            ],
            sorts=[{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
            properties=["dealstage", "hs_lastmodifieddate"],
            limit=limit,
            after=after,
        )
        with _translated(f"searching deals changed since {since.isoformat()}"):
            found = self._search.do_search(request, _request_timeout=self._timeout)
            deals = [_found_deal(deal) for deal in found.results or []]
        following = found.paging.next if found.paging is not None else None
        return SearchPage(deals, None if following is None else following.after, found.total or 0)

    def write_property(self, deal_id: str, name: str, value: str) -> None:
        with _translated(f"writing {name} of deal {deal_id}"):
            self._deals.update(
                deal_id,
                SimplePublicObjectInput(properties={name: value}),
                _request_timeout=self._timeout,
            )

    def _company_name(self, company_id: str) -> str | None:
        """The company's name; a company the token may not read (or that is gone)
        costs the engagement its community name, not its details."""
        try:
            with _translated(f"reading company {company_id}"):
                company = self._companies.get_by_id(
                    company_id, properties=["name"], _request_timeout=self._timeout
                )
        except Refused as error:
            log.warning("HubSpot: %s; the engagement gets no community name from it", error)
            return None
        return (company.properties or {}).get("name")


def _primary_company(associations: dict[str, Any] | None) -> str | None:
    """The deal's primary company: HubSpot labels that association deal_to_company,
    others deal_to_company_unlabeled; without a primary, the first company."""
    found = (associations or {}).get("companies")
    results = list(found.results) if found is not None else []
    primary = [r for r in results if r.type == "deal_to_company"]
    chosen = (primary or results or [None])[0]
    return None if chosen is None else str(chosen.id)


def _found_deal(deal: Any) -> FoundDeal:
    """A search result; its `hs_lastmodifieddate` (ISO 8601, or milliseconds), else (none,
    or one that cannot be read: an answer from outside is not trusted to be well formed)
    the record's `updatedAt`, which HubSpot keeps equal to it."""
    properties = deal.properties or {}
    modified = _moment(properties.get("hs_lastmodifieddate")) or deal.updated_at
    if modified is None:
        raise ValueError(f"deal {deal.id} has no hs_lastmodifieddate")
    return FoundDeal(str(deal.id), properties.get("dealstage"), modified.astimezone(UTC))


def _moment(stamp: Any) -> datetime | None:
    """A HubSpot timestamp property (ISO 8601, or epoch milliseconds), or None."""
    if not isinstance(stamp, str):
        return None
    try:
        if stamp.isascii() and stamp.isdigit():
            return datetime.fromtimestamp(int(stamp) / 1000, tz=UTC)
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@contextmanager
def _translated(what: str) -> Iterator[None]:
    try:
        yield
    except (DealApiException, CompanyApiException) as error:
        status = error.status or 0
        if status == 429:
            raise Unavailable(
                f"{what}: HubSpot's rate limit (429)",
                _retry_after(error.headers),
                rate_limited=True,
            ) from error
        if status in (0, 408) or status >= 500:
            raise Unavailable(
                f"{what}: HubSpot answered {status} {error.reason}", _retry_after(error.headers)
            ) from error
        raise Refused(f"{what}: HubSpot answered {status} {error.reason}") from error
    except (urllib3.exceptions.HTTPError, OSError) as error:
        raise Unavailable(f"{what}: {error}") from error
    except ValueError as error:
        # The SDK checks the answer against HubSpot's schema: a malformed answer is a
        # fault on HubSpot's side, as likely to pass as a 500.
        raise Unavailable(f"{what}: HubSpot's answer could not be read ({error})") from error


def _retry_after(headers: Any) -> float | None:
    """Retry-After in seconds, as HubSpot's API sends it; at most an hour, so that a
    nonsensical value cannot stop the work."""
    try:
        seconds = float((headers or {}).get("Retry-After"))
    except (TypeError, ValueError):
        return None
    return None if math.isnan(seconds) else min(max(seconds, 0.0), MAX_RETRY_AFTER)
