"""Team commands through the API, beyond registering once: a registration retried
with its Idempotency-Key is answered as the first, another for the same handle is
refused."""

from __future__ import annotations

from tests.support.api import ApiClient
from tests.support.dates import days_ago

PRIYA = {
    "handle": "priya",
    "name": "Priya Raman",
    "fte": "0.8",
    "line_manager": "ana",
    "effective_date": days_ago(10),
}


def test_a_registration_retried_with_its_key_answers_the_first(api: ApiClient):
    first = api.post("/api/team-members", PRIYA, key="register-priya")
    again = api.post("/api/team-members", PRIYA, key="register-priya")
    assert (first.status_code, again.status_code) == (201, 201), again.json
    assert again.json["position"] == first.json["position"]
    assert again.headers["Idempotent-Replayed"] == "true"


def test_another_registration_of_a_handle_is_refused(api: ApiClient):
    assert api.post("/api/team-members", PRIYA, key="register-priya").status_code == 201
    other = api.post("/api/team-members", {**PRIYA, "fte": "0.5"}, key="register-priya-2")
    assert other.status_code == 409, other.json
    unkeyed = api.post("/api/team-members", PRIYA)
    assert unkeyed.status_code == 409, "without a key, a repeat is not known to be a retry"
