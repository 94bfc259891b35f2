"""Webhook batches and fetched deals, translated without I/O."""

import json
from datetime import UTC, date, datetime

import pytest

from integrations.hubspot.deal import Contract, Deal, contract, engagement_changes, parse_date
from integrations.hubspot.events import ClosedWon, PayloadError, parse_batch, parse_stage_changes
from service.infra.config import HubSpotSettings

STAGES = frozenset({"closedwon", "42"})
SETTINGS = HubSpotSettings()


def event(**fields):
    return {
        "subscriptionType": "deal.propertyChange",
        "portalId": 7,
        "objectId": 9,
        "eventId": 1,
        "propertyName": "dealstage",
        "propertyValue": "closedwon",
        "occurredAt": 1732715551737,
        **fields,
    }


def test_closed_won_events_are_picked_from_a_batch():
    body = json.dumps(
        [
            event(),
            event(propertyValue="42", objectId="10"),
            event(propertyValue="lost"),
            event(propertyValue=["closedwon"]),
            {"subscriptionType": "contact.creation"},
        ]
    ).encode()
    assert parse_batch(body, STAGES) == [
        ClosedWon(7, "9", "closedwon", 1, datetime(2024, 11, 27, 13, 52, 31, 737000, tzinfo=UTC)),
        ClosedWon(7, "10", "42", 1, datetime(2024, 11, 27, 13, 52, 31, 737000, tzinfo=UTC)),
    ]


@pytest.mark.parametrize(
    "body, message",
    [
        (b"", "not valid JSON"),
        (b"null", "JSON array"),
        (b'[{"a": 1}, "b"]', "JSON array"),
        (json.dumps([event(eventId=True)]).encode(), "event 0: eventId"),
        (json.dumps([event(portalId=-1)]).encode(), "event 0: portalId"),
        (json.dumps([event(occurredAt="soon")]).encode(), "event 0: occurredAt"),
        (json.dumps([event(occurredAt=10**20)]).encode(), "event 0: occurredAt"),
        (json.dumps([event(occurredAt=253402214400000)]).encode(), "occurredAt must be between"),
        (json.dumps([event(objectId="12\u000034")]).encode(), "event 0: objectId"),
        (json.dumps([event(objectId="-5")]).encode(), "event 0: objectId"),
        (json.dumps([event(objectId=str(2**63))]).encode(), "event 0: objectId"),
        (b'[{"portalId": 7, "portalId": 8}]', "twice"),
        (json.dumps([{}] * 101).encode(), "at most 100"),
    ],
)
def test_a_batch_that_is_not_one_is_refused_with_a_reason(body, message):
    with pytest.raises(PayloadError, match=message):
        parse_batch(body, STAGES)


@pytest.mark.parametrize("stage", ["closed\u0000won", "lost\u009b", "x" * 101, "\ud800"])
def test_a_stage_the_input_policy_refuses_is_no_stage_change(stage):
    body = json.dumps([event(propertyValue=stage), event(eventId=2)]).encode()
    assert [change.event_id for change in parse_stage_changes(body, STAGES)] == [2]


def deal(**properties):
    return Deal(
        id="9",
        properties={
            "dealname": " Docs sprint ",
            "contract_start_date": "2025-01-01",
            "contract_end_date": "2025-12-31",
            "contract_hours": "24",
            **properties,
        },
        company_id="5",
        company_name="Open Data NL",
    )


def test_a_deal_fills_in_the_engagement_and_keeps_its_raw_facts():
    changes = engagement_changes(deal(), SETTINGS)
    assert changes["name"] == "Docs sprint" and changes["community"] == "Open Data NL"
    assert (changes["start_date"], changes["end_date"]) == (date(2025, 1, 1), date(2025, 12, 31))
    assert changes["deal"]["properties"]["contract_hours"] == "24"
    assert changes["deal"]["company"] == {"id": "5", "name": "Open Data NL"}
    assert contract(deal(), SETTINGS) == Contract(date(2025, 1, 1), date(2025, 12, 31), 24)


@pytest.mark.parametrize(
    "properties",
    [
        {"contract_hours": None},
        {"contract_hours": "lots"},
        {"contract_hours": "0.4"},
        {"contract_hours": "-8"},
        {"contract_hours": "NaN"},
        {"contract_end_date": "2024-12-31"},
        {"contract_start_date": ""},
    ],
)
def test_no_contract_without_positive_hours_and_ordered_dates(properties):
    assert contract(deal(**properties), SETTINGS) is None


def test_inverted_dates_are_kept_raw_but_not_set():
    changes = engagement_changes(deal(contract_end_date="2024-12-31"), SETTINGS)
    assert "start_date" not in changes and "end_date" not in changes
    assert changes["deal"]["properties"]["contract_end_date"] == "2024-12-31"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2025-02-28", date(2025, 2, 28)),
        ("2025-02-28T23:30:00Z", date(2025, 2, 28)),
        ("2025-02-28T23:30:00-02:00", date(2025, 3, 1)),
        ("2025-02-28T12:00:00", date(2025, 2, 28)),
        ("1740700800000", date(2025, 2, 28)),
        ("", None),
        (None, None),
        ("28/02/2025", None),
    ],
)
def test_hubspot_date_values(value, expected):
    assert parse_date(value) == expected
