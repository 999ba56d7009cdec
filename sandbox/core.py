"""Transport-neutral request/response types shared by both CRM emulators.

Each emulator is a plain object with ``handle(request) -> SandboxResponse``. The HTTPS server
(``sandbox.server``) and the ``responses`` mount (``sandbox.mount``) only translate between their
transport and these types, so one model answers both ways.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

Clock = Callable[[], datetime]
CRMS = ("salesforce", "hubspot")


def system_clock() -> datetime:
    """The wall clock, timezone-aware UTC (the default clock of every emulator)."""
    return datetime.now(UTC)


class Headers(dict[str, str]):
    """Case-insensitive header mapping (keys stored lower-case)."""

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        super().__init__()
        for key, value in (items or {}).items():
            self[key] = value

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key.lower(), value)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


@dataclass
class SandboxRequest:
    """One HTTP request as an emulator sees it."""

    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    @classmethod
    def from_url(
        cls, method: str, url: str, headers: Mapping[str, str] | None = None, body: bytes | str | None = None
    ) -> SandboxRequest:
        parts = urlsplit(url)
        raw = body.encode() if isinstance(body, str) else (body or b"")
        return cls(
            method=method.upper(),
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=Headers(headers),
            body=raw,
        )

    def arg(self, name: str, default: str | None = None) -> str | None:
        """First value of a query-string parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """The body parsed as JSON (``None`` when empty); raises ``ValueError`` when malformed."""
        if not self.body:
            return None
        return json.loads(self.body)


@dataclass
class SandboxResponse:
    """One HTTP response; ``body`` is JSON-serialisable data, raw bytes, or ``None`` (no body)."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()

    def content_type(self) -> str:
        if self.body is None or isinstance(self.body, bytes):
            return self.headers.get("Content-Type", "application/octet-stream")
        return "application/json;charset=UTF-8"


def json_response(status: int, body: Any = None, headers: dict[str, str] | None = None) -> SandboxResponse:
    """A response with a JSON body (or none)."""
    return SandboxResponse(status=status, body=body, headers=dict(headers or {}))


def wire_headers(response: SandboxResponse) -> list[tuple[str, str]]:
    """Headers to send for ``response``: its own plus a Content-Type when it has a body and none."""
    headers = [(str(k), str(v)) for k, v in response.headers.items()]
    has_type = any(k.lower() == "content-type" for k, _ in headers)
    if response.body is not None and not has_type:
        headers.append(("Content-Type", response.content_type()))
    return headers


@dataclass
class SentEmail:
    """An email either emulated CRM 'sent', with recipients resolved to addresses."""

    source: str
    to: list[str]
    cc: list[str]
    subject: str
    body: str
    related_id: str | None
    sent_at: str
    message_id: str | None = None  # SMTP only: the Message-ID header (the same on every resend)

    def as_json(self) -> dict[str, Any]:
        extra = {"message_id": self.message_id} if self.message_id is not None else {}
        return {
            **extra,
            "source": self.source,
            "to": self.to,
            "cc": self.cc,
            "subject": self.subject,
            "body": self.body,
            "related_id": self.related_id,
            "sent_at": self.sent_at,
        }


class Outbox:
    """Every email the emulators sent, shared by both (``GET /_sandbox/emails``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.emails: list[SentEmail] = []

    def record(self, email: SentEmail) -> None:
        with self._lock:
            self.emails.append(email)

    def clear(self) -> None:
        with self._lock:
            self.emails.clear()
