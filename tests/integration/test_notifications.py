"""Notifications, once (docs/explanation/notifications.md), on both stores, against a
real SMTP server (aiosmtpd) and a Slack webhook stub that slack_sdk posts to: what is
due is sent once to each recipient, however many notifiers run and whatever stopped one
between recording and sending; a mail server down, then up, gets each message once."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.application import Ledger
from service.application.caller import Caller
from service.domain.notices import Kind
from service.domain.notification import Notification
from service.infra.notify_settings import MailSettings
from service.notify.outbox import Notifier
from service.web.http.runtime import runtime
from service.workers import notifier
from tests.support.api import activity
from tests.support.dates import days_ago
from tests.support.mail_and_slack import SlackStub, SmtpSink
from tests.support.pages import signed_in_page
from tests.support.projections import served_and_caught_up

BD_EMAIL = "bd@example.org"


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def slack():
    stub = SlackStub().start()
    yield stub
    stub.stop()


@pytest.fixture
def app_env(smtp: SmtpSink, slack: SlackStub) -> dict[str, str]:
    return {
        **smtp.env(),
        "SLACK_WEBHOOK_URL": slack.url,
        "NOTIFY_BD_EMAILS": BD_EMAIL,
        "NOTIFY_RETRY_SECONDS": "60",
        "NOTIFY_MAX_ATTEMPTS": "2",
        "NOTIFY_CLAIM_SECONDS": "120",
        "PUBLIC_URL": "https://ces.example.org",
        # The app's own notifier (in its background threads) waits this long before its
        # first pass: the notifiers of each test are the ones it makes.
        "NOTIFY_INTERVAL_SECONDS": "86400",
    }


@pytest.fixture
def burning(api, world, ledger: Ledger) -> dict[str, Any]:
    """Ana, at ana@example.org, provides the world's allocation (20 units) and recorded
    16 of them on one day 30 days ago: 80 % used, and quiet since."""
    allocation = world["allocation"]["id"]
    recorded = api.post(
        f"/api/allocations/{allocation}/activities",
        activity(units=8, date_from=days_ago(30), date_to=days_ago(30)),
    )
    assert recorded.status_code == 201, recorded.json
    again = api.post(
        f"/api/allocations/{allocation}/activities",
        activity(units=8, date_from=days_ago(30), date_to=days_ago(30)),
    )
    assert again.status_code == 201, again.json
    ledger.update_team_member("ana", email="ana@example.org", caller=Caller("test"))
    served_and_caught_up(api.app)
    return {**world, "allocation_id": allocation}


def make_notifier(app, own_ledger: bool = False):
    with app.app_context():
        run = runtime()
        return notifier(run, run.new_ledger() if own_ledger else run.ledger())


def sent_budget_notices(smtp: SmtpSink) -> list[str]:
    return sorted(
        ",".join(envelope)
        for envelope, message in zip(smtp.envelopes, smtp.messages, strict=True)
        if "reached 80%" in message["Subject"]
    )


def test_what_is_due_goes_once_by_mail_and_slack_with_a_link_and_an_unsubscribe(
    app, burning, smtp, slack
):
    first = make_notifier(app).run_once()
    assert first.sent >= 4 and first.failed == 0, first
    assert sent_budget_notices(smtp) == ["ana@example.org", BD_EMAIL]
    assert [p["text"].splitlines()[0] for p in slack.posts] == [
        f"*Allocation {burning['allocation_id']} reached 80% of its units*"
    ]
    kinds_to_ana = {m["Subject"] for m in smtp.messages if m["To"] == "ana@example.org"}
    assert any("Nothing recorded" in subject for subject in kinds_to_ana)
    mail = next(m for m in smtp.messages if "Nothing recorded" in m["Subject"])
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["List-Unsubscribe"].startswith(
        "<https://ces.example.org/notifications/unsubscribe/"
    )
    assert mail["Message-ID"].endswith("@example.org>")
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "https://ces.example.org/my" in text and 'href="https://ces.example.org/my"' in html

    received = len(smtp.messages)
    second = make_notifier(app).run_once()
    assert (second.recorded, second.sent) == (0, 0)
    assert len(smtp.messages) == received and len(slack.posts) == 1


def test_two_notifiers_at_once_send_each_notice_once(app, burning, smtp, slack):
    notifiers = [make_notifier(app, own_ledger=True) for _ in range(2)]
    threads = [threading.Thread(target=n.run_once) for n in notifiers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    ids = smtp.message_ids()
    assert ids and len(ids) == len(set(ids)), f"a message went twice: {ids}"
    assert len(slack.posts) == 1
    for n in notifiers:
        n.ledger.close()


def test_one_recorded_but_not_sent_is_sent_by_the_next_pass_and_a_dead_claim_after_it_ends(
    app, burning, ledger: Ledger, smtp
):
    sender = make_notifier(app)
    now = datetime.now(UTC)
    planned = [p for p in sender.plan(now) if p.route and p.route[0] == "mail"]
    # A worker recorded them and was killed before sending; one it had also claimed.
    for p in planned:
        assert ledger.record_notification(p.notice, channel=p.route[0], addresses=p.route[1])
    held = planned[0].notice.id
    assert ledger.claim_notification(held, now=now, hold=timedelta(seconds=120)) is not None

    sender.run_once(now)
    assert held.hex not in "".join(smtp.message_ids()).replace("-", "")
    assert len(smtp.messages) == len(planned) - 1

    sender.run_once(now + timedelta(seconds=121))  # the dead worker's claim ran out
    ids = smtp.message_ids()
    assert len(ids) == len(planned) == len(set(ids))
    assert ledger.get(Notification, held).state == "sent"


def test_a_mail_server_down_then_up_gets_each_message_once_and_one_given_up_is_shown(
    app, api, burning, smtp, slack
):
    smtp.stop()
    now = datetime.now(UTC)
    down = make_notifier(app).run_once(now)
    assert down.failed >= 3 and down.sent == 1, down  # Slack took its one
    again_too_soon = make_notifier(app).run_once(now + timedelta(seconds=30))
    assert again_too_soon.sent == again_too_soon.failed == 0

    smtp.start()
    up = make_notifier(app).run_once(now + timedelta(seconds=61))
    assert up.sent == down.failed
    ids = smtp.message_ids()
    assert len(ids) == len(set(ids)) == down.failed
    later = make_notifier(app).run_once(now + timedelta(days=1))
    assert later.sent == later.failed == 0 and len(smtp.messages) == len(ids)


def test_after_its_last_attempt_a_notification_is_given_up_and_shown_on_review_and_metrics(
    app, burning, smtp, make_token
):
    smtp.stop()
    now = datetime.now(UTC)
    make_notifier(app).run_once(now)
    last = make_notifier(app).run_once(now + timedelta(seconds=61))  # NOTIFY_MAX_ATTEMPTS=2
    assert last.failed >= 3
    served = served_and_caught_up(app)
    given_up = served.view("notifications").given_up()
    assert len(given_up) == last.failed
    assert ["ana@example.org"] in [n["addresses"] for n in given_up]
    nothing_more = make_notifier(app).run_once(now + timedelta(days=1))
    assert nothing_more.sent == nothing_more.failed == 0

    review = signed_in_page(app, make_token("manager")).text("/review")
    shown = review[review.index('id="given-up-heading"') :]
    assert shown.count("data-notification-id=") == last.failed
    assert "ana (ana@example.org)" in shown and "Connection refused" in shown
    metrics = app.test_client().get("/metrics").text
    assert f'ces_notifications{{state="given_up"}} {float(last.failed)}' in metrics


@pytest.mark.parametrize("app_env", [{}], ids=["no channel"])
def test_with_no_channel_nothing_is_recorded_and_review_shows_what_would_have_been(
    app, burning, make_token
):
    done = make_notifier(app).run_once()
    assert done.recorded == done.sent == 0
    assert {"ana", "bd", "slack"} <= {notice.recipient for notice in done.unreachable}
    review = signed_in_page(app, make_token("manager")).text("/review")
    assert "No mail server or Slack webhook is configured: nothing is sent." in review
    unsent = review[review.index('id="unsent-heading"') :]
    assert unsent.count("budget_threshold") == 3 and "missing_time" in unsent


def test_a_kind_switched_off_is_not_planned_for_that_person(app, burning, ledger):
    ledger.switch_notification_kind("ana", Kind.MISSING_TIME, on=False, caller=Caller("ana"))
    served_and_caught_up(app)
    planned = make_notifier(app).plan(datetime.now(UTC))
    assert not [
        p for p in planned if p.notice.kind == Kind.MISSING_TIME and p.notice.recipient == "ana"
    ]
    assert [p for p in planned if p.notice.kind == Kind.BUDGET_THRESHOLD]


def unsubscribe_path(mail) -> str:
    url = mail["List-Unsubscribe"].strip("<>")
    return url.removeprefix("https://ces.example.org")


def test_unsubscribe_works_from_the_link_alone_and_opening_it_switches_nothing(app, burning, smtp):
    make_notifier(app).run_once()
    mail = next(m for m in smtp.messages if "Nothing recorded" in m["Subject"])
    path = unsubscribe_path(mail)
    stranger = app.test_client()  # no session, no token, no CSRF token: the link alone

    opened = stranger.get(path)
    assert opened.status_code == 200 and "Stop these notices" in opened.text
    served_and_caught_up(app)
    assert "missing_time" not in runtime_off(app).get("ana", ())

    posted = stranger.post(path, data={"List-Unsubscribe": "One-Click"})
    assert posted.status_code == 200, posted.text
    served_and_caught_up(app)
    assert runtime_off(app)["ana"] == frozenset({"missing_time"})
    planned = make_notifier(app).plan(datetime.now(UTC))
    assert not [p for p in planned if p.notice.kind == Kind.MISSING_TIME]


def test_a_forged_or_altered_unsubscribe_link_is_refused_and_switches_nothing(app, burning, smtp):
    make_notifier(app).run_once()
    path = unsubscribe_path(smtp.messages[0])
    before = app.test_client()
    for forged in (path[:-3] + "abc", "/notifications/unsubscribe/WyJhbmEiXQ.x"):
        refused = before.post(forged, data={"List-Unsubscribe": "One-Click"})
        assert refused.status_code == 404, forged
    served_and_caught_up(app)
    assert runtime_off(app) == {}


def runtime_off(app) -> dict[str, frozenset[str]]:
    with app.app_context():
        return runtime().projections().view("notifications").switched_off()


def test_a_member_switches_kinds_off_and_on_on_their_settings_page(app, burning, make_token):
    page = signed_in_page(app, make_token("member", member="ana"))
    shown = page.text("/settings/notifications")
    assert shown.count('type="checkbox"') == len(Kind) and shown.count(" checked") == len(Kind)
    kept_on = [str(kind) for kind in Kind if kind != Kind.LATE_SOON]
    saved = page.post("/settings/notifications", {"on": kept_on})
    assert saved.status_code == 303
    served_and_caught_up(app)
    assert runtime_off(app)["ana"] == frozenset({"late_soon"})
    assert page.text("/settings/notifications").count(" checked") == len(Kind) - 1

    without_csrf = page.post("/settings/notifications", {"on": []}, with_csrf=False)
    assert without_csrf.status_code == 400
    served_and_caught_up(app)
    assert runtime_off(app)["ana"] == frozenset({"late_soon"})


def test_a_members_email_is_registered_changed_and_cleared_through_the_api(api, make_token):
    registered = api.post(
        "/api/team-members",
        {
            "handle": "cleo",
            "name": "Cleo",
            "fte": "1",
            "line_manager": "lee",
            "effective_date": days_ago(10),
            "email": "cleo@example.org",
        },
    )
    assert registered.status_code == 201 and registered.json["email"] == "cleo@example.org"
    changed = api.patch("/api/team-members/cleo", {"email": "c.l@example.org"})
    assert changed.status_code == 200 and changed.json["email"] == "c.l@example.org"
    listed = api.get("/api/team-members", min_position=changed.json["position"]).json["items"]
    assert [m["email"] for m in listed if m["handle"] == "cleo"] == ["c.l@example.org"]
    cleared = api.patch("/api/team-members/cleo", {"email": None})
    assert cleared.status_code == 200 and cleared.json["email"] is None


@pytest.mark.boundary
@pytest.mark.parametrize("email", ["not an address", "a@b@c", "x" * 250 + "@example.org", 42])
def test_an_email_that_is_not_one_is_refused_and_changes_nothing(api, email):
    before = api.log_size()
    refused = api.patch("/api/team-members/ana", {"email": email})
    assert refused.status_code == 422, refused.json
    assert api.log_size() == before


def test_mail_goes_through_a_server_that_wants_a_sign_in(app, burning):
    guarded = SmtpSink(login=("ces", "right")).start()
    try:
        settings = replace(
            make_notifier(app).settings,
            mail=MailSettings(
                host="127.0.0.1",
                port=guarded.port,
                starttls=False,
                user="ces",
                password="right",
                sender="ledger@example.org",
            ),
        )
        with app.app_context():
            run = runtime()
            sender = Notifier(
                run.ledger(), run.projections(), settings, public_url="https://x", secret_key="k"
            )
        done = sender.run_once()
        assert done.failed == 0 and len(guarded.messages) == done.sent - 1 >= 3  # and Slack's
    finally:
        guarded.stop()
