"""The sandbox's SMTP server (aiosmtpd): STARTTLS on the sandbox CA's certificate, AUTH PLAIN/LOGIN
required, every accepted message recorded in the shared outbox (``GET /_sandbox/emails``, ``source:
"smtp"``, ``related_id`` from the ``X-Crm-Sync-Related-Id`` header crm-sync sets).

Faults (``POST /_sandbox/faults`` with ``"crm": "smtp"``) answer the next messages' DATA with the given
reply code (a 4xx to defer, a 5xx to reject) or drop the connection (``"drop": true``) before answering.
"""

from __future__ import annotations

import logging
import ssl
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from sandbox.core import Clock, SandboxRequest, SentEmail


class _QuietLegacyLogin(logging.Filter):
    """aiosmtpd 1.4 logs a warning about its own legacy attribute on every successful login."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Session.login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_QuietLegacyLogin())

USERNAME = "crm-sync"
PASSWORD = "sandbox-smtp-password"
FROM_ADDRESS = "crm-sync@sandbox.example"
SMTP_FAULT_PATH = "/smtp/data"


def _addresses(message: EmailMessage, header: str) -> list[str]:
    return [address for _, address in getaddresses(message.get_all(header, []))]


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return str(part.get_content()).strip() if part is not None else ""


def received(raw: bytes, clock: Clock) -> SentEmail:
    """A message as the outbox lists it."""
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return SentEmail(
        source="smtp",
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        subject=str(message.get("Subject", "")),
        body=_text(message),
        related_id=message.get("X-Crm-Sync-Related-Id"),
        sent_at=clock().isoformat(),
        message_id=message.get("Message-ID"),
    )


class _Handler:
    def __init__(self, box: Any) -> None:
        self.box = box

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        fault = self.box.take_fault("smtp", SandboxRequest("DATA", SMTP_FAULT_PATH))
        if fault is not None:
            if fault.status == 0:  # drop: close without an answer
                if server.transport is not None:
                    server.transport.close()
                return "421 4.4.2 connection dropped by an injected fault"
            reason = fault.body.decode() if isinstance(fault.body, bytes) else "injected fault"
            return f"{fault.status} {reason}"
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else content.encode()
        self.box.receive_email(received(raw, self.box.clock))
        return "250 2.0.0 OK: queued"


def _authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode() == USERNAME and auth_data.password.decode() == PASSWORD
    )
    return AuthResult(success=ok, handled=False)


class _TlsController(Controller):
    def __init__(self, handler: Any, host: str, port: int, context: ssl.SSLContext) -> None:
        self._tls = context
        super().__init__(handler, hostname=host, port=port)

    def factory(self) -> SMTP:
        return SMTP(
            self.handler,
            hostname="sandbox.crm-sync",
            tls_context=self._tls,
            require_starttls=True,
            auth_required=True,
            authenticator=_authenticator,
        )


class SandboxSmtpServer:
    """An SMTP server for one sandbox on ``host:port`` (0 picks a free port), certificate from ``tls_dir``."""

    def __init__(self, box: Any, host: str, port: int, server_pem: Path) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(server_pem)
        if port == 0:
            port = _free_port(host)
        self.host = host
        self.port = port
        self._controller = _TlsController(_Handler(box), host, port, context)

    def env(self) -> dict[str, str]:
        """The ``email:`` settings a client needs."""
        return {
            "CRM_SYNC_SMTP_HOST": self.host,
            "CRM_SYNC_SMTP_PORT": str(self.port),
            "CRM_SYNC_SMTP_USERNAME": USERNAME,
            "CRM_SYNC_SMTP_PASSWORD": PASSWORD,
            "CRM_SYNC_SMTP_FROM": FROM_ADDRESS,
        }

    def start(self) -> SandboxSmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SandboxSmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
