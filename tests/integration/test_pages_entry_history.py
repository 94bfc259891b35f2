"""An entry's history (`/review/activities/{id}`), as a manager reads it from the
review: the original as recorded, each correction with its reason, and a move followed
to the allocation the entry went to; members are refused."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from tests.support.api import ApiClient
from tests.support.pages import signed_in_page


def steps(html: str) -> list[str]:
    """Each step of the history: its heading and text, tags dropped."""
    found = re.findall(r'<li data-what="[^"]*">(.*?)</li>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", step).split()) for step in found]


def test_a_manager_sees_the_original_the_correction_and_the_move(
    app: Flask, make_token, api: ApiClient, places: dict[str, Any]
):
    entry = places["activity"]["id"]
    corrected = api.post(
        f"/api/activities/{entry}/corrections", {"units": 5, "reason": "forgot the review call"}
    )
    assert corrected.status_code in (200, 201), corrected.json
    moved = api.post(
        f"/api/activities/{entry}/move", {"allocation_id": places["b"], "reason": "wrong project"}
    )
    assert moved.status_code in (200, 201), moved.json

    manager = signed_in_page(app, make_token("manager"))
    response = manager.get(f"/review/activities/{entry}")

    assert response.status_code == 200
    recorded, correction, move = steps(response.get_data(as_text=True))
    assert recorded.startswith("Recorded") and "Units 3" in recorded
    assert "Member Ana" in recorded and "review of the guide" in recorded
    assert correction.startswith("Corrected") and "Units 5" in correction
    assert "Reason: forgot the review call" in correction
    assert move.startswith("Moved to another allocation") and "Reason: wrong project" in move


def test_a_member_may_not_open_an_entry_history(app: Flask, make_token, places: dict[str, Any]):
    member = signed_in_page(app, make_token("member", member="ana"))
    assert member.get(f"/review/activities/{places['activity']['id']}").status_code == 403


def test_an_unknown_entry_is_not_found(app: Flask, make_token, places: dict[str, Any]):
    manager = signed_in_page(app, make_token("manager"))
    missing = "00000000-0000-4000-8000-000000000000"
    assert manager.get(f"/review/activities/{missing}").status_code == 404
