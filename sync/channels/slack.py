"""``slack``: ``notify`` as a short message to a Slack channel through an incoming webhook
(https://api.slack.com/messaging/webhooks): ``{"text": ...}`` with the record link in Slack's markup."""

from __future__ import annotations

from typing import Any

from rules.actions.email import ChatPayload, Notify
from rules.settings import Settings
from sync.connectors.base import Clock

from .base import ChannelSpec
from .webhooks import WebhookOutlet

NAME = "slack"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def body(payload: ChatPayload) -> dict[str, Any]:
    text = f"*{_escape(payload.subject)}*"
    if payload.link:
        text += f"\n<{payload.link}|Open the record>"
    return {"text": text}


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
