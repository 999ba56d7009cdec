"""``teams``: ``notify`` as a short message to a Microsoft Teams channel through a Workflows webhook
("Post to a channel when a webhook request is received"), which takes an Adaptive Card in a message
envelope (https://learn.microsoft.com/en-us/connectors/teams/#microsoft-teams-webhook)."""

from __future__ import annotations

from typing import Any

from rules.actions.email import ChatPayload

from .webhooks import webhook_spec

NAME = "teams"


def body(payload: ChatPayload) -> dict[str, Any]:
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": payload.subject, "weight": "Bolder", "wrap": True}],
    }
    if payload.link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open the record", "url": payload.link}]
    attachment = {
        "contentType": "application/vnd.microsoft.card.adaptive",
        "contentUrl": None,
        "content": card,
    }
    return {"type": "message", "attachments": [attachment]}


SPEC = webhook_spec(NAME, body)
