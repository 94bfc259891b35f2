"""A deal HubSpot sent, held to the input policy field by field (deal_policy.py)."""

import pytest

from integrations.hubspot.deal import Deal, contract, engagement_changes
from integrations.hubspot.deal_policy import Refusal, checked_deal
from service.infra.config import HubSpotSettings

SETTINGS = HubSpotSettings()


def deal(deal_id="9", company_id="5", company_name="Open Data NL", **properties):
    return Deal(
        id=deal_id,
        properties={
            "dealname": "Docs sprint",
            "amount": "12500.50",
            "deal_currency_code": "EUR",
            "contract_start_date": "2025-01-01",
            "contract_end_date": "2025-12-31",
            "contract_hours": "24",
            "pipeline": "default",
            **properties,
        },
        company_id=company_id,
        company_name=company_name,
    )


def test_a_deal_within_the_policy_passes_unchanged():
    clean, refusals = checked_deal(deal(), SETTINGS, "9")
    assert (clean, refusals) == (deal(), [])


@pytest.mark.parametrize(
    "name, value, reason",
    [
        ("dealname", "Open\x00Data", "U+0000"),
        ("dealname", "\x1b[31m", "U+001B"),
        ("dealname", "\x7f", "U+007F"),
        ("dealname", "\x85", "U+0085"),
        ("dealname", "x" * 201, "longer than 200"),
        ("pipeline", "y" * 5001, "longer than 5000"),
        ("contract_hours", "1e30", "from 1 to 100000"),
        ("contract_hours", "NaN", "from 1 to 100000"),
        ("contract_hours", "0", "from 1 to 100000"),
        ("contract_start_date", "0001-01-01", "between 1970-01-01 and 2199-12-31"),
        ("contract_end_date", "9999-12-31", "between 1970-01-01 and 2199-12-31"),
        ("contract_end_date", "next year", "is not a date"),
        ("amount", "12.500,50 EUR", "not a plain number"),
        ("amount", "1E-999999999", "not a plain number"),
        ("deal_currency_code", "euro", "three-letter"),
    ],
)
def test_a_field_that_breaks_the_policy_is_missing_and_refused_without_its_value(
    name, value, reason
):
    clean, [refusal] = checked_deal(deal(**{name: value}), SETTINGS, "9")
    assert refusal.field == f"properties.{name}" and reason in refusal.reason
    assert len(value) < 3 or value not in refusal.reason  # never the value
    assert clean.properties[name] is None
    assert clean.properties["dealname"] == ("Docs sprint" if name != "dealname" else None)
    changes = engagement_changes(clean, SETTINGS)
    assert changes["deal"]["properties"][name] is None


def test_blank_values_are_missing_without_a_refusal():
    clean, refusals = checked_deal(deal(contract_hours="", amount=" "), SETTINGS, "9")
    assert refusals == [] and contract(clean, SETTINGS) is None


def test_a_bad_company_id_drops_the_company_and_a_bad_name_only_the_name():
    clean, refusals = checked_deal(deal(company_id="12\x0034"), SETTINGS, "9")
    assert [r.field for r in refusals] == ["company.id"]
    assert (clean.company_id, clean.company_name) == (None, None)
    clean, refusals = checked_deal(deal(company_name="\ud800"), SETTINGS, "9")
    assert [r.field for r in refusals] == ["company.name"]
    assert (clean.company_id, clean.company_name) == ("5", None)


def test_a_deal_answered_under_another_id_keeps_the_one_asked_for():
    clean, refusals = checked_deal(deal(deal_id="-5"), SETTINGS, "9")
    assert clean.id == "9" and refusals == [Refusal("id", "is not the deal asked for (9)")]


def test_only_the_properties_asked_for_are_kept_and_non_text_is_refused():
    clean, refusals = checked_deal(deal(hs_secret="x", dealname=12), SETTINGS, "9")
    assert "hs_secret" not in clean.properties
    assert refusals == [Refusal("properties.dealname", "is not text")]
