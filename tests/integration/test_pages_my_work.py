"""My work, as a member uses it: record on the 1/2/3/5/8 scale and see what is left,
be warned before a late entry or an overrun, correct and retract; bad input re-renders
the form and records nothing; the rules are the API's."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.support.api import ApiClient, grant_on_own_project
from tests.support.dates import days_ago
from tests.support.pages import FORM_KEY_INPUT, PageClient, signed_in_page


@pytest.fixture
def ana(app: Flask, world, make_token) -> PageClient:
    return signed_in_page(app, make_token("member", member="ana"))


def remaining(api: ApiClient, allocation_id: str) -> int:
    return api.get(f"/api/allocations/{allocation_id}").json["units_remaining"]


def record_form(world: dict[str, Any], page: PageClient, **overrides: Any) -> dict[str, Any]:
    form_key = FORM_KEY_INPUT.search(page.text("/my")).group(1)
    form = {
        "allocation_id": world["allocation"]["id"],
        "units": "3",
        "description": "reviewed the contributor guide",
        "date_from": days_ago(1),
        "date_to": "",
        "form_key": form_key,
    }
    return {**form, **overrides}


def error_summary(html: str) -> str:
    """The text a person reads in the form's error summary (tags and headings left out)."""
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", summary, re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", "", item).strip() for item in items)


def test_my_work_lists_my_allocation_with_its_balance(ana: PageClient, world):
    html = ana.text("/my")
    allocation = world["allocation"]
    assert f'data-allocation-id="{allocation["id"]}"' in html
    assert re.search(r'data-field="units_remaining">20<', html)
    assert "Open Data Week · Docs · Q hours" in html


def test_recording_3_units_lowers_remaining_by_3(ana: PageClient, world, api: ApiClient):
    before = remaining(api, world["allocation"]["id"])
    response = ana.post("/my", record_form(world, ana))
    assert response.status_code == 303
    page = ana.text(response.headers["Location"])
    assert remaining(api, world["allocation"]["id"]) == before - 3
    assert f"{before - 3} units remaining" in page
    assert re.search(rf'data-field="units_remaining">{before - 3}<', page)
    assert "reviewed the contributor guide" in page


def test_the_same_form_sent_twice_records_once(ana: PageClient, world, api: ApiClient):
    form = record_form(world, ana)
    assert ana.post("/my", form).status_code == 303
    size = api.log_size()
    assert ana.post("/my", form).status_code == 303
    assert api.log_size() == size
    assert remaining(api, world["allocation"]["id"]) == 17


def test_a_20_day_old_entry_is_warned_about_before_it_is_saved(
    ana: PageClient, world, api: ApiClient
):
    form = record_form(world, ana, date_from=days_ago(20))
    size = api.log_size()
    response = ana.post("/my", form)
    assert response.status_code == 200
    assert "will be marked late" in response.text and "Record anyway" in response.text
    assert api.log_size() == size, "a warning records nothing"
    assert ana.post("/my", {**form, "confirm": "yes"}).status_code == 303
    items = api.get(f"/api/allocations/{world['allocation']['id']}/activities").json["items"]
    assert [item["late"] for item in items] == [True]


def test_an_overrun_is_warned_about_before_it_is_saved(ana: PageClient, world, api):
    for _ in range(3):
        assert ana.post("/my", record_form(world, ana, units="5")).status_code == 303
    response = ana.post("/my", record_form(world, ana, units="8"))
    assert "past its units" in response.text and "an overrun of 3" in response.text
    assert remaining(api, world["allocation"]["id"]) == 5


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"units": "0"}, "units", "Units must be a whole number from 1 to 100000."),
        ({"units": "three"}, "units", "Units must be a whole number."),
        ({"units": ""}, "units", "Units is required."),
        ({"description": ""}, "description", "Description is required."),
        ({"date_from": "2026-02-30"}, "date_from", "Date must be a valid date, such as"),
        ({"date_to": "2000-01-01"}, "date_to", "Until must not be before Date."),
        ({"allocation_id": "not-a-uuid"}, "allocation_id", "Pick one of your allocations."),
        ({"description": "x" * 5001}, "description", "Description must be at most 5000 char"),
    ],
)
def test_bad_input_re_renders_the_form_with_its_fields_label_and_records_nothing(
    ana: PageClient, world, api: ApiClient, overrides, field, message
):
    """Each message names its field as the form labels it, never by the API's key."""
    size = api.log_size()
    response = ana.post("/my", record_form(world, ana, **overrides))
    assert response.status_code == 422
    under_field = re.search(rf'id="{field}-error">([^<]*)<', response.text)
    assert under_field is not None and under_field.group(1).startswith(message), under_field
    summary = error_summary(response.text)
    assert message in summary and "Missing data" not in summary
    assert not re.search(r"\b(date_from|date_to|allocation_id|date to)\b", summary), summary
    assert api.log_size() == size


def test_a_future_date_filled_alone_is_refused_under_date_in_its_words(
    ana: PageClient, world, api: ApiClient
):
    """Only Date was filled (a single day): the refusal is about Date, not "date to"."""
    size = api.log_size()
    response = ana.post("/my", record_form(world, ana, date_from=days_ago(-2)))
    assert response.status_code == 422
    assert f'id="date_from-error">Date {days_ago(-2)} is in the future.<' in response.text
    assert (
        'id="date_to-error"' not in response.text
        and "date_to"
        not in response.text.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    )
    assert api.log_size() == size


def test_a_member_records_only_for_themselves(ana: PageClient, world, api: ApiClient):
    """The form has no member field for a member; one sent anyway is ignored."""
    assert ana.post("/my", record_form(world, ana, team_member="ben")).status_code == 303
    items = api.get(f"/api/allocations/{world['allocation']['id']}/activities").json["items"]
    assert [item["team_member"] for item in items] == ["ana"]


def test_a_post_without_its_csrf_token_records_nothing(ana: PageClient, world, api):
    size = api.log_size()
    response = ana.post("/my", record_form(world, ana), with_csrf=False)
    assert response.status_code == 400
    assert "nothing was recorded" in response.text
    assert api.log_size() == size


def test_correct_then_retract_my_activity(ana: PageClient, world, api: ApiClient):
    ana.post("/my", record_form(world, ana))
    activity = api.get(f"/api/allocations/{world['allocation']['id']}/activities").json["items"][0]
    path = f"/my/activities/{activity['id']}/correction"
    form_key = FORM_KEY_INPUT.search(ana.text(path)).group(1)
    missing_reason = ana.post(path, {"units": "2", "form_key": form_key})
    assert missing_reason.status_code == 422
    assert 'id="reason-error">Reason for the correction is required.<' in missing_reason.text
    assert "Missing data" not in missing_reason.text
    response = ana.post(path, {"units": "2", "reason": "took less time", "form_key": form_key})
    assert response.status_code == 303
    assert remaining(api, world["allocation"]["id"]) == 18
    response = ana.post(
        f"/my/activities/{activity['id']}/retraction",
        {"reason": "recorded on the wrong day", "form_key": "r1"},
    )
    assert response.status_code == 303
    assert remaining(api, world["allocation"]["id"]) == 20
    assert "retracted" in ana.text("/my")


def test_move_my_activity_to_another_of_my_allocations(ana: PageClient, world, api: ApiClient):
    other = grant_on_own_project(
        api, world["engagement"]["id"], start=60, end=-30, units=10, provider="ana"
    )
    ana.post("/my", record_form(world, ana))
    activity = api.get(f"/api/allocations/{world['allocation']['id']}/activities").json["items"][0]
    path = f"/my/activities/{activity['id']}/correction"
    assert f'<option value="{other["id"]}">' in ana.text(path)
    move = f"/my/activities/{activity['id']}/move"
    size = api.log_size()
    missing_reason = ana.post(move, {"allocation_id": other["id"], "form_key": "m1"})
    assert missing_reason.status_code == 422 and 'id="move-reason-error"' in missing_reason.text
    assert api.log_size() == size

    response = ana.post(
        move, {"allocation_id": other["id"], "reason": "wrong one", "form_key": "m1"}
    )
    assert response.status_code == 303
    assert remaining(api, world["allocation"]["id"]) == 20 and remaining(api, other["id"]) == 7
    [moved] = api.get(f"/api/allocations/{other['id']}/activities").json["items"]
    assert (moved["id"], moved["recorded_at"]) == (activity["id"], activity["recorded_at"])
    assert "Moved: 7 units remaining where it is now, 20 where it was." in ana.text("/my")


def test_another_members_activity_cannot_be_changed_from_my_page(
    app: Flask, world, api: ApiClient, make_token
):
    api.post(f"/api/allocations/{world['allocation']['id']}/activities", _ben_activity())
    activity = api.get(f"/api/allocations/{world['allocation']['id']}/activities").json["items"][0]
    ana = signed_in_page(app, make_token("member", member="ana"))
    assert ana.get(f"/my/activities/{activity['id']}/correction").status_code == 404


@pytest.mark.boundary
def test_roles_that_do_not_record_are_refused(app: Flask, world, make_token):
    for role in ("viewer", "auditor", "bd"):
        page = signed_in_page(app, make_token(role))
        assert page.get("/my").status_code == 403, role


def test_a_manager_without_a_handle_records_for_a_member(
    app: Flask, world, make_token, api: ApiClient
):
    manager = signed_in_page(app, make_token("manager"))
    html = manager.text("/my")
    assert 'name="team_member"' in html
    response = manager.post("/my", record_form(world, manager, team_member="ben"))
    assert response.status_code == 303
    items = api.get(f"/api/allocations/{world['allocation']['id']}/activities").json["items"]
    assert [(i["team_member"], i["recorded_by"]) for i in items] == [("ben", "Test Manager")]


def _ben_activity() -> dict[str, Any]:
    return {
        "team_member": "ben",
        "units": 2,
        "description": "call",
        "date_from": days_ago(1),
        "date_to": days_ago(1),
    }


def test_a_date_before_the_allocation_is_refused_at_once_not_warned_first(
    ana: PageClient, world, api: ApiClient
):
    """The ledger's own refusals (not only the schema's) come back on the form, and
    before any warning: 200 days ago is late, but it is before the allocation began, so
    the first answer refuses it (no "Record anyway" that would only lead to a refusal)."""
    size = api.log_size()
    response = ana.post("/my", record_form(world, ana, date_from=days_ago(200)))
    assert response.status_code == 422
    assert 'class="error-summary"' in response.text and 'id="record-form"' in response.text
    assert f'id="date_from-error">Date {days_ago(200)} is outside the allocation' in response.text
    assert "Record anyway" not in response.text and "marked late" not in response.text
    assert api.log_size() == size


def banner(html: str) -> tuple[str, str]:
    """The kind (flash category) and the words of the page's banner."""
    found = re.search(r'<p class="flash flash-([a-z]+)">([^<]*)</p>', html)
    assert found, "no banner on the page"
    return found.group(1), found.group(2)


def test_an_entry_within_the_balance_is_a_success_in_the_singular(ana: PageClient, world):
    response = ana.post("/my", record_form(world, ana, units="1"))
    kind, words = banner(ana.text(response.headers["Location"]))
    assert kind == "recorded"
    assert "Recorded 1 unit on" in words and "19 units remaining" in words


def test_an_entry_that_overruns_the_allocation_is_a_warning(ana: PageClient, world):
    for _ in range(2):
        response = ana.post("/my", record_form(world, ana, units="8"))
        assert banner(ana.text(response.headers["Location"]))[0] == "recorded"
    response = ana.post("/my", {**record_form(world, ana, units="8"), "confirm": "yes"})
    assert response.status_code == 303
    kind, words = banner(ana.text(response.headers["Location"]))
    assert kind == "warning"
    assert "the allocation is now 4 units over its grant" in words
    assert "remaining" not in words
