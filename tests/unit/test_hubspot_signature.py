"""The v3 signature check against HubSpot's published test vector (HUBSPOT.md), no I/O."""

from datetime import UTC, datetime, timedelta

import pytest

from integrations.hubspot.signature import SignatureRejected, check_signature, signed_uri

VECTOR = dict(
    client_secret="test-client-secret-0000",
    method="POST",
    uri="https://hooks.example.com/hubspot/webhooks",
    body=(
        b'[{"eventId":3816279340,"subscriptionId":2963051,"portalId":145106154,"appId":4708013,'
        b'"occurredAt":1732715551737,"subscriptionType":"deal.propertyChange","attemptNumber":0,'
        b'"objectId":19283746501,"changeSource":"CRM_UI","propertyName":"dealstage",'
        b'"propertyValue":"closedwon"}]'
    ),
    signature="xQH3PQyMeuuATQckJttdzdZKwCyZCBN5PPzrBOOLYj0=",
    timestamp="1732715701368",
)
SENT = datetime.fromtimestamp(1732715701.368, tz=UTC)


def test_the_published_vector_is_accepted():
    check_signature(**VECTOR, now=SENT + timedelta(seconds=2))


@pytest.mark.parametrize(
    "change, reason",
    [
        (
            {"signature": "5329a31ae27eb89bb023e906e7bdba2a02bcb5e5947533ad9a6a5a081d56024d"},
            "does not match",
        ),
        ({"client_secret": "another-secret"}, "does not match"),
        ({"uri": "https://hooks.example.com/hubspot/webhooks/"}, "does not match"),
        ({"method": "PUT"}, "does not match"),
        ({"body": VECTOR["body"] + b" "}, "does not match"),
        ({"timestamp": "1732715701369"}, "does not match"),
        ({"signature": None}, "missing"),
        ({"timestamp": ""}, "missing"),
        ({"timestamp": "1732715701368.0"}, "milliseconds"),
        ({"timestamp": "9" * 30}, "out of range"),
        ({"body": b"\xff"}, "UTF-8"),
    ],
)
def test_anything_else_is_rejected_with_a_reason(change, reason):
    with pytest.raises(SignatureRejected, match=reason):
        check_signature(**{**VECTOR, **change}, now=SENT)


def test_the_accepted_window_is_five_minutes_back_and_sixty_seconds_ahead():
    check_signature(**VECTOR, now=SENT + timedelta(minutes=5))
    check_signature(**VECTOR, now=SENT - timedelta(seconds=60))
    with pytest.raises(SignatureRejected, match="5 minutes old"):
        check_signature(**VECTOR, now=SENT + timedelta(minutes=5, milliseconds=1))
    with pytest.raises(SignatureRejected, match="ahead"):
        check_signature(**VECTOR, now=SENT - timedelta(seconds=60, milliseconds=1))


def test_the_uri_is_signed_with_only_hubspots_listed_escapes_decoded():
    assert (
        signed_uri("https://h.example/a%3Ab%2fc?q=%40x%20y%2B%2a")
        == "https://h.example/a:b/c?q=@x%20y%2B*"
    )
