"""The HUBSPOT_* settings, checked at start-up with messages naming each."""

import pytest

from service.infra.config import ConfigurationError, Settings


def test_hubspot_defaults():
    hubspot = Settings.from_environment({}).hubspot
    assert hubspot.closed_won_stages == {"closedwon"}
    assert (hubspot.client_secret, hubspot.access_token, hubspot.api_base) == (None, None, None)
    assert (hubspot.start_property, hubspot.end_property, hubspot.hours_property) == (
        "contract_start_date",
        "contract_end_date",
        "contract_hours",
    )


def test_hubspot_settings_are_read():
    hubspot = Settings.from_environment(
        {
            "HUBSPOT_CLIENT_SECRET": "s",
            "HUBSPOT_ACCESS_TOKEN": "pat",
            "HUBSPOT_API_BASE": "http://127.0.0.1:9",
            "HUBSPOT_CLOSED_WON_STAGES": " closedwon ,123456,",
            "HUBSPOT_HOURS_PROPERTY": "ces_hours",
            "HUBSPOT_TIMEOUT_SECONDS": "2.5",
            "HUBSPOT_ENGAGEMENT_URL": "https://ces.example/e/{id}",
            "HUBSPOT_ENGAGEMENT_URL_PROPERTY": "ces_url",
        }
    ).hubspot
    assert hubspot.closed_won_stages == {"closedwon", "123456"}
    assert (hubspot.hours_property, hubspot.timeout_seconds, hubspot.url_property) == (
        "ces_hours",
        2.5,
        "ces_url",
    )


@pytest.mark.parametrize(
    "environ, message",
    [
        ({"HUBSPOT_API_BASE": "api.hubapi.com"}, "HUBSPOT_API_BASE: must be an http"),
        ({"HUBSPOT_WEBHOOK_URL": "ftp://x/y"}, "HUBSPOT_WEBHOOK_URL: must be an http"),
        ({"HUBSPOT_CLOSED_WON_STAGES": " , "}, "HUBSPOT_CLOSED_WON_STAGES: give at least one"),
        (
            {"HUBSPOT_HOURS_PROPERTY": "Contract Hours"},
            "HUBSPOT_HOURS_PROPERTY: must be a HubSpot property",
        ),
        ({"HUBSPOT_TIMEOUT_SECONDS": "0"}, "HUBSPOT_TIMEOUT_SECONDS"),
        ({"HUBSPOT_TIMEOUT_SECONDS": "ten"}, "HUBSPOT_TIMEOUT_SECONDS"),
        ({"HUBSPOT_ENGAGEMENT_URL": "https://ces.example/e"}, "must contain {id}"),
        ({"HUBSPOT_ENGAGEMENT_URL_PROPERTY": "ces_url"}, "give both"),
    ],
)
def test_wrong_hubspot_settings_are_named(environ, message):
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_environment(environ)
