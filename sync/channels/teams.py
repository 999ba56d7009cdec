"""``teams``: ``notify`` as a short message to a Microsoft Teams channel through a Workflows webhook
("Post to a channel when a webhook request is received"), which takes an Adaptive Card in a message
envelope (https://learn.microsoft.com/en-us/connectors/teams/#microsoft-teams-webhook)."""

from __future__ import annotations

from typing import Any

from rules.actions.email import ChatPayload, Notify
from rules.settings import Settings
from sync.connectors.base import Clock

from .base import ChannelSpec
from .webhooks import WebhookOutlet

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


def _build(settings: Settings, clock: Clock) -> WebhookOutlet:
    assert settings.chat is not None
    chat = settings.chat
    verify: str | bool = chat.ca_bundle or True
    return WebhookOutlet(NAME, chat.rooms(NAME), body, chat.timeout.total.total_seconds(), verify)


SPEC = ChannelSpec(
    name=NAME,
    kinds=frozenset({Notify.name}),
    configured=lambda settings: bool(settings.chat and settings.chat.rooms(NAME)),
    build=_build,
)
