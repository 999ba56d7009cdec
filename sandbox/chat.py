"""Chat webhook receivers: ``POST /chat/slack/{room}`` answers like a Slack incoming webhook (200, body
``ok``), ``POST /chat/teams/{room}`` like a Teams Workflows webhook (202, no body). Messages are listed by
``GET /_sandbox/chat``; faults apply with ``"crm": "chat"``."""

from __future__ import annotations

import json
import re
from typing import Any

from sandbox.core import Clock, SandboxRequest, SandboxResponse

_PATH = re.compile(r"^/chat/(slack|teams)/([A-Za-z0-9][A-Za-z0-9_.-]*)$")


def _text(service: str, body: Any) -> str:
    """The visible text of a message."""
    if service == "slack":
        return str(body.get("text", ""))
    parts: list[str] = []
    for attachment in body.get("attachments", []):
        content = attachment.get("content") or {}
        parts += [str(b.get("text", "")) for b in content.get("body", [])]
        parts += [str(a.get("url", "")) for a in content.get("actions", [])]
    return "\n".join(parts)


class ChatReceiver:
    """The webhook endpoints and the messages they took."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.messages: list[dict[str, Any]] = []

    def handles(self, path: str) -> bool:
        return path.startswith("/chat/")

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        match = _PATH.match(request.path)
        if match is None or request.method.upper() != "POST":
            return SandboxResponse(404, b"no_service", {"Content-Type": "text/plain"})
        service, room = match.groups()
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict) or (service == "slack" and not body.get("text")):
            return SandboxResponse(400, b"invalid_payload", {"Content-Type": "text/plain"})
        text = _text(service, body)
        self.messages.append(
            {"service": service, "room": room, "text": text, "body": body, "at": self.clock().isoformat()}
        )
        if service == "slack":
            return SandboxResponse(200, b"ok", {"Content-Type": "text/plain"})
        return SandboxResponse(202, None)

    def reset(self) -> None:
        self.messages.clear()

    def snapshot(self) -> dict[str, Any]:
        return {"messages": [dict(m) for m in self.messages]}

    def restore(self, state: dict[str, Any]) -> None:
        self.messages = [dict(m) for m in state.get("messages", [])]
