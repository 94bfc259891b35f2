"""Posting one message to the team's Slack channel through its incoming webhook
(SLACK_WEBHOOK_URL), with slack_sdk's WebhookClient. Anything but 200 raises
`ChannelError`, recorded as a failed attempt."""

from __future__ import annotations

from slack_sdk.webhook import WebhookClient

from service.infra.mail import ChannelError


class SlackChannel:
    def __init__(self, webhook_url: str, timeout_seconds: float):
        self.client = WebhookClient(webhook_url, timeout=max(1, round(timeout_seconds)))

    def send(self, text: str, blocks: list[dict] | None = None) -> None:
        try:
            response = self.client.send(text=text, blocks=blocks)
        except OSError as error:
            raise ChannelError(f"Slack webhook: {error}") from error
        if response.status_code != 200:
            raise ChannelError(
                f"Slack webhook answered {response.status_code}: {response.body[:200]}"
            )
