"""A sandbox served over HTTPS with its SMTP server, and settings pointing the channels at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rules.settings import ChatSettings, EmailSettings
from sandbox.app import Sandbox
from sandbox.server import SERVER_FILE, SandboxServer
from sandbox.smtp import PASSWORD, USERNAME, SandboxSmtpServer


@dataclass
class Served:
    box: Sandbox
    url: str
    ca: str
    smtp_port: int

    def email(self, **changes: object) -> EmailSettings:
        values: dict[str, object] = {
            "host": "127.0.0.1",
            "port": self.smtp_port,
            "username": USERNAME,
            "password": PASSWORD,
            "from_address": "crm-sync@example.com",
            "from_name": "Customer Success",
            "ca_bundle": self.ca,
            **changes,
        }
        return EmailSettings.model_validate(values)

    def chat(self) -> ChatSettings:
        return ChatSettings(
            slack={"cs-alerts": f"{self.url}/chat/slack/cs-alerts"},
            teams={"cs-alerts": f"{self.url}/chat/teams/cs-alerts"},
            ca_bundle=self.ca,
        )


def fixed_clock() -> datetime:
    return datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    box = Sandbox()
    server = SandboxServer(box, tls_dir=tmp_path / "tls")
    smtp = SandboxSmtpServer(box, "127.0.0.1", 0, tmp_path / "tls" / SERVER_FILE)
    with server, smtp:
        yield Served(box, server.url, str(server.ca_bundle), smtp.port)
