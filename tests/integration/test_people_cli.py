"""`people add | list | remove`: giving people a role by email, recorded as bookkeeping
events of the log."""

from __future__ import annotations

from service.domain.people import person_id


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["people", *args])


def test_a_person_added_is_listed_with_their_role_and_removed(app, ledger):
    added = run(app, "add", "Ada@Example.org", "auditor", "--name", "Ada Lovelace")
    assert added.exit_code == 0, added.output
    assert "ada@example.org may sign in as auditor" in added.output
    listed = run(app, "list")
    assert listed.stdout.splitlines() == ["ada@example.org\tauditor\t-\tAda Lovelace\t-"]
    assert run(app, "remove", "ada@example.org").exit_code == 0
    assert run(app, "list").stdout.splitlines() == [
        "ada@example.org\tauditor\t-\tAda Lovelace\tremoved"
    ]
    assert ledger.person_by_id(person_id("ada@example.org")) is None


def test_a_member_is_named_by_their_member_record(app, api):
    api.post(
        "/api/team-members",
        {
            "handle": "ana",
            "name": "Ana Silva",
            "fte": "1",
            "line_manager": "lee",
            "effective_date": "2026-01-05",
        },
    )
    added = run(app, "add", "ana@example.org", "member", "--member", "ana")
    assert added.exit_code == 0, added.output
    assert run(app, "list").stdout.splitlines() == ["ana@example.org\tmember\tana\tAna Silva\t-"]


def test_a_person_added_again_gets_the_new_role(app, world):
    engagement = world["engagement"]["id"]
    assert (
        run(
            app, "add", "bo@example.org", "viewer", "--name", "Bo", "--engagement", engagement
        ).exit_code
        == 0
    )
    assert run(app, "list").stdout.splitlines() == [f"bo@example.org\tviewer\t{engagement}\tBo\t-"]
    assert run(app, "remove", "bo@example.org").exit_code == 0
    assert run(app, "add", "bo@example.org", "bd", "--name", "Bo").exit_code == 0
    assert run(app, "list").stdout.splitlines() == ["bo@example.org\tbd\t-\tBo\t-"]


def test_refusals_name_the_option_that_answers_them(app, ledger):
    head = ledger.recorder.max_notification_id()
    no_member = run(app, "add", "m@example.org", "member", "--name", "M")
    assert no_member.exit_code != 0 and "(--member HANDLE)" in no_member.output
    no_engagement = run(app, "add", "v@example.org", "viewer", "--name", "V")
    assert no_engagement.exit_code != 0 and "(--engagement ID)" in no_engagement.output
    no_name = run(app, "add", "n@example.org", "bd")
    assert no_name.exit_code != 0 and "--name" in no_name.output
    bad_email = run(app, "add", "not-an-email", "bd", "--name", "X")
    assert bad_email.exit_code != 0 and "email address" in bad_email.output
    nobody = run(app, "remove", "ghost@example.org")
    assert nobody.exit_code != 0 and "nobody was given a role" in nobody.output
    assert ledger.recorder.max_notification_id() == head, "a refusal wrote to the log"
