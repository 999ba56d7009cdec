"""``slack``: ``notify`` as a short message to a Slack channel through an incoming webhook
(https://api.slack.com/messaging/webhooks): ``{"text": ...}`` with the record link in Slack's markup."""

from __future__ import annotations

from typing import Any

from rules.actions.email import ChatPayload

from .webhooks import webhook_spec

NAME = "slack"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def body(payload: ChatPayload) -> dict[str, Any]:
    text = f"*{_escape(payload.subject)}*"
    if payload.link:
        text += f"\n<{payload.link}|Open the record>"
    return {"text": text}


SPEC = webhook_spec(NAME, body)
