"""What each notification says: a subject, a few plain lines and the page to act on,
written once per kind and rendered as plain text and HTML for mail, and as text for
Slack. A mail's Message-ID is derived from the notification's id, so a repeat after a
crash (docs/explanation/notifications.md) carries the same one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape
from typing import Any
from uuid import UUID

from service.domain.notices import Kind


@dataclass(frozen=True)
class Message:
    subject: str
    lines: tuple[str, ...]
    path: str
    """the page to act on, under PUBLIC_URL"""


def message_of(kind: Kind, facts: dict[str, Any]) -> Message:
    allocation = facts.get("allocation_id", "")
    engagement_page = f"/engagements/{facts.get('engagement_id', '')}"
    used = f"{facts.get('units_used')} of {facts.get('units')} units used"
    if kind == Kind.MISSING_TIME:
        return Message(
            f"Nothing recorded on your allocation since {facts['since']}",
            (
                f"You provide allocation {allocation} ({used}).",
                f"Nothing has been recorded on it for {facts['working_days']} working days, "
                f"since {facts['since']}.",
                "Record your work before it turns late (14 days after the day).",
            ),
            "/my",
        )
    if kind == Kind.LATE_SOON:
        return Message(
            f"Work days turn late from {facts['late_after']}",
            (
                "Nothing of yours is recorded for these working days of an allocation you "
                f"provide: {', '.join(facts['days'])}.",
                f"The first of them turns late after {facts['late_after']}.",
            ),
            "/my",
        )
    if kind == Kind.BUDGET_THRESHOLD:
        return Message(
            f"Allocation {allocation} reached {facts['threshold']}% of its units",
            (f"Allocation {allocation} ({used}) ends on {facts['end']}.",),
            engagement_page,
        )
    if kind == Kind.ENDING_UNUSED:
        return Message(
            f"Allocation {allocation} ends on {facts['end']} with "
            f"{facts['units_unused']} units unused",
            (
                f"Allocation {allocation}, provided by {facts.get('provider') or 'nobody'}, "
                f"has {used}.",
                "Plan the rest of its work, or agree with the partner what becomes of it.",
            ),
            engagement_page,
        )
    late, silent = facts["late"], facts["silent"]
    first, last = facts["week"]
    return Message(
        f"Your reports' week {first} to {last}: {len(late)} late, {len(silent)} silent",
        (
            *(
                f"{e['member']} recorded work ending {e['date_to']} late, on {e['recorded_on']}."
                for e in late
            ),
            *(
                f"{e['member']} recorded nothing on allocation {e['allocation_id']} that week."
                for e in silent
            ),
        ),
        "/review",
    )


def email_message(
    message: Message,
    *,
    notification_id: UUID,
    sender: str,
    to: list[str],
    public_url: str,
    unsubscribe_url: str,
    moment: datetime,
) -> EmailMessage:
    """The mail: plain text and HTML, the link to act on, and a one-click unsubscribe
    for its kind (List-Unsubscribe and List-Unsubscribe-Post, RFC 8058)."""
    link = f"{public_url.rstrip('/')}{message.path}"
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    mail["Date"] = format_datetime(moment)
    mail["Message-ID"] = f"<{notification_id}@{sender.rsplit('@', 1)[-1]}>"
    mail["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail["Auto-Submitted"] = "auto-generated"
    text = "\n\n".join([*message.lines, f"Open: {link}", f"Stop these notices: {unsubscribe_url}"])
    mail.set_content(text + "\n")
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in message.lines)
    mail.add_alternative(
        "<!doctype html><html><body>"
        f"{paragraphs}"
        f'<p><a href="{escape(link)}">Open {escape(link)}</a></p>'
        f'<p><small><a href="{escape(unsubscribe_url)}">Stop these notices</a></small></p>'
        "</body></html>\n",
        subtype="html",
    )
    return mail


def slack_text(message: Message, public_url: str) -> str:
    link = f"{public_url.rstrip('/')}{message.path}"
    return "\n".join([f"*{message.subject}*", *message.lines, f"<{link}|Open>"])
