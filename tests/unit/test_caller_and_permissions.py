"""The Caller, the permission table and the rules of service/application/access.py,
without Flask or a store: who may run which command and open which page, the member
and engagement scopes, the departed member and the closed month."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from service.application import access
from service.application.caller import Caller
from service.application.errors import Forbidden
from service.application.permissions import HOME_OF_ROLE, PERMISSIONS, allows, roles_of
from service.domain.tokens import ROLES

ANA = Caller("Ana Member", role="member", member="ana")
MIA = Caller("Mia Manager", role="manager", member="mia")
HUBSPOT = Caller("hubspot")
JANUARY = (date(2026, 1, 5), date(2026, 1, 5))
SPANNING = (date(2026, 1, 30), date(2026, 2, 2))


def test_only_a_member_token_is_limited_to_its_member():
    assert ANA.only_member == "ana"
    assert MIA.only_member is None, "a manager who records their own work acts for anyone"
    assert HUBSPOT.only_member is None


def test_a_caller_for_a_request_keeps_who_it_is():
    key = uuid4()
    ana = ANA.for_request(key)
    assert ana.request_id == key
    assert (ana.actor, ana.role, ana.member) == ("Ana Member", "member", "ana")
    assert ANA.request_id is None, "a Caller is a value: for_request makes another"


def test_admin_may_do_everything_and_every_key_names_known_roles():
    for key, roles in PERMISSIONS.items():
        assert roles <= set(ROLES) - {"admin"}, key
        assert "admin" in roles_of(key), key


def test_roles_are_listed_in_the_order_of_roles():
    assert roles_of("record_activity") == ("admin", "manager", "member")
    assert roles_of("close_period") == ("admin",)


def test_an_unknown_key_fails_loudly():
    with pytest.raises(KeyError):
        roles_of("record_activty")


@pytest.mark.parametrize(
    "role, key, allowed",
    [
        ("member", "record_activity", True),
        ("bd", "record_activity", False),
        ("viewer", "list_team_members", False),
        ("member", "capacity_report", False),
        ("viewer", "inclusion_proof", True),
        ("member", "audit_events", False),
        ("manager", "close_period", False),
        ("admin", "import_activities", True),
        (None, "me", False),
    ],
)
def test_the_table_decides_who_may_call(role, key, allowed):
    assert allows(role, key) is allowed


def test_each_page_needs_the_roles_of_the_api_doing_the_same_work():
    assert PERMISSIONS["page:my_work"] == PERMISSIONS["record_activity"]
    assert PERMISSIONS["page:plan"] == PERMISSIONS["grant_allocation"]
    assert PERMISSIONS["page:engagements"] == PERMISSIONS["list_engagements"]
    assert PERMISSIONS["page:audit"] == PERMISSIONS["audit_events"]
    assert PERMISSIONS["page:team"] == PERMISSIONS["register_team_member"]
    assert PERMISSIONS["page:access"] == PERMISSIONS["issue_token"] == frozenset()
    assert PERMISSIONS["page:review"] <= PERMISSIONS["late_activities_report"]


def test_every_role_has_a_home_page_it_may_open():
    assert set(HOME_OF_ROLE) == set(ROLES)
    for role, page in HOME_OF_ROLE.items():
        assert page.startswith("page:") and allows(role, page), role


def test_the_api_refusal_names_the_role_and_who_may():
    access.require_role(MIA, "correct_activity")
    with pytest.raises(Forbidden) as refused:
        access.require_role(Caller("Bo", role="bd"), "record_activity")
    assert refused.value.message == (
        "a bd token may not do this; it needs one of: admin, manager, member"
    )


def test_the_page_refusal_names_the_role():
    with pytest.raises(Forbidden, match="a viewer may not open this page"):
        access.require_page(Caller("Vi", role="viewer"), "page:plan")


def test_a_member_acts_only_on_its_own_work():
    access.require_own_work(ANA, "ana", "record")
    access.require_own_work(MIA, "ben", "record")
    with pytest.raises(Forbidden, match="a member token may move only ana's activities"):
        access.require_own_work(ANA, "ben", "move")
    access.require_kept_member(ANA, None)
    access.require_kept_member(ANA, "ana")
    with pytest.raises(Forbidden, match="cannot hand an activity to someone else"):
        access.require_kept_member(ANA, "ben")


def test_a_viewer_limited_to_one_engagement_sees_only_it():
    mine, other = uuid4(), uuid4()
    partner = Caller("Pat", role="viewer", engagement_id=mine)
    assert access.may_see_engagement(partner, mine)
    assert not access.may_see_engagement(partner, other)
    assert access.may_see_engagement(Caller("Vi", role="viewer"), other)


def test_a_departed_member_writes_nothing_from_the_day_they_left():
    today = date(2026, 10, 31)
    access.require_not_departed(ANA, None, today)
    access.require_not_departed(ANA, date(2026, 11, 1), today)
    access.require_not_departed(Caller("Bo", role="bd"), date(2026, 1, 1), today)
    with pytest.raises(Forbidden) as refused:
        access.require_not_departed(MIA, today, today)
    assert refused.value.message.startswith("mia left on 2026-10-31: their token can no longer")


def test_a_closed_month_is_a_managers_and_flagged():
    assert access.after_close(ANA, set(), JANUARY) is False
    assert access.after_close(ANA, {"2026-02"}, JANUARY) is False
    assert access.after_close(MIA, {"2026-01"}, JANUARY) is True
    assert access.after_close(Caller("Ad", role="admin"), {"2026-01"}, JANUARY) is True


@pytest.mark.parametrize("who", [ANA, HUBSPOT, Caller("Bo", role="bd")])
def test_anyone_else_is_refused_in_a_closed_month_naming_it(who):
    with pytest.raises(Forbidden, match="^2026-01 is closed: only a manager or admin"):
        access.after_close(who, {"2026-01"}, JANUARY)
    with pytest.raises(Forbidden, match="^2026-01 and 2026-02 are closed"):
        access.after_close(who, {"2026-01", "2026-02"}, SPANNING)
