"""Injected faults: answers that replace the emulators' for the next matching requests."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from sandbox.core import CRMS, SandboxRequest, SandboxResponse

#: What a fault can apply to: a CRM, the SMTP server (``status`` is then an SMTP reply code) or the
#: chat webhooks.
TARGETS = (*CRMS, "smtp", "chat")


class DropConnection(SandboxResponse):
    """A response the transport must not send: it closes the connection instead.

    The HTTPS server shuts the socket without writing; the ``responses`` mount raises
    ``requests.exceptions.ConnectionError``.
    """

    def __init__(self) -> None:
        super().__init__(status=0)


def is_drop(response: SandboxResponse) -> bool:
    """True when ``response`` asks the transport to drop the connection."""
    return isinstance(response, DropConnection)


@dataclass
class Fault:
    """An injected answer for the next ``remaining`` requests that match."""

    id: int
    status: int
    remaining: int
    crm: str | None = None
    method: str | None = None
    path_regex: str | None = None
    body: Any = None
    has_body: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    @classmethod
    def parse(cls, fault_id: int, spec: Any) -> Fault:
        """Validate a ``POST /_sandbox/faults`` body; raises ``ValueError`` with a readable message."""
        if not isinstance(spec, dict):
            raise ValueError("fault must be a JSON object")
        crm = spec.get("crm")
        if crm is not None and crm not in TARGETS:
            raise ValueError(f"crm must be one of {', '.join(TARGETS)} or omitted")
        method = spec.get("method")
        if method is not None and not isinstance(method, str):
            raise ValueError("method must be a string")
        path_regex = spec.get("path_regex")
        if path_regex is not None:
            if not isinstance(path_regex, str):
                raise ValueError("path_regex must be a string")
            try:
                re.compile(path_regex)
            except re.error as exc:
                raise ValueError(f"path_regex does not compile: {exc}") from None
        drop = bool(spec.get("drop", False))
        status = spec.get("status", 0 if drop else None)
        if not isinstance(status, int) or isinstance(status, bool) or (not drop and not 100 <= status <= 599):
            raise ValueError("status must be an HTTP status code (100-599)")
        times = spec.get("times", 1)
        if not isinstance(times, int) or isinstance(times, bool) or times < 1:
            raise ValueError("times must be a positive integer")
        headers = spec.get("headers") or {}
        if not isinstance(headers, dict):
            raise ValueError("headers must be an object")
        return cls(
            id=fault_id,
            status=status,
            remaining=times,
            crm=crm,
            method=method.upper() if method else None,
            path_regex=path_regex,
            body=spec.get("body"),
            has_body="body" in spec,
            headers={str(k): str(v) for k, v in headers.items()},
            drop=drop,
        )

    def matches(self, crm: str | None, request: SandboxRequest) -> bool:
        if self.crm != crm and (self.crm is not None or crm == "smtp"):
            return False  # a fault for any target never hits the SMTP server: ask for it by name
        if self.method is not None and self.method != request.method.upper():
            return False
        return self.path_regex is None or re.search(self.path_regex, request.path) is not None

    def response(self, crm: str | None) -> SandboxResponse:
        if self.drop:
            return DropConnection()
        body = self.body if self.has_body else default_fault_body(crm, self.status)
        headers = dict(self.headers)
        if isinstance(body, str):
            body = body.encode()
            if not any(k.lower() == "content-type" for k in headers):
                headers["Content-Type"] = "text/plain;charset=UTF-8"
        return SandboxResponse(status=self.status, body=body, headers=headers)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "crm": self.crm,
            "method": self.method,
            "path_regex": self.path_regex,
            "status": self.status,
            "times": self.remaining,
            "body": self.body if self.has_body else None,
            "headers": self.headers,
            "drop": self.drop,
        }


def default_fault_body(crm: str | None, status: int) -> Any:
    """An error body shaped like the CRM's own, for faults that give none."""
    message = f"Sandbox injected fault (HTTP {status})"
    if crm == "salesforce":
        return [{"message": message, "errorCode": "SANDBOX_FAULT"}]
    if crm == "hubspot":
        correlation = str(uuid.uuid4())
        return {
            "status": "error",
            "message": message,
            "correlationId": correlation,
            "category": "SANDBOX_FAULT",
        }
    return {"error": "sandbox_fault", "message": message}


class Faults:
    """The active faults, oldest first, with their ids (not thread-safe: the sandbox holds the lock)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._next_id = 1

    def add(self, spec: Any) -> Fault:
        """Parse and register a fault; raises ``ValueError`` for a bad spec."""
        fault = Fault.parse(self._next_id, spec)
        self._next_id += 1
        self._faults.append(fault)
        return fault

    def listed(self) -> list[dict[str, Any]]:
        return [f.as_json() for f in self._faults]

    def clear(self) -> int:
        """Remove every fault; returns how many there were."""
        count = len(self._faults)
        self._faults.clear()
        return count

    def take(self, crm: str | None, request: SandboxRequest) -> SandboxResponse | None:
        """The first matching fault's answer (using it up once), or ``None`` when none matches."""
        for fault in self._faults:
            if fault.matches(crm, request):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault.response(crm)
        return None
