"""pytest fixtures for the sandbox (use as a plugin: ``-p sandbox.testing`` or root ``pytest_plugins``).

In a non-root conftest import them instead::

    from sandbox.testing import (  # noqa: F401
        sandbox, sandbox_responses, sandbox_server, sandbox_server_session,
    )

* ``sandbox``: a fresh in-process ``Sandbox`` (real emulators).
* ``sandbox_server``: a ``SandboxHandle`` on a session-wide HTTPS server, reset before each test.
* ``sandbox_responses``: ``(sandbox, rsps)`` with the sandbox mounted into ``responses``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import responses

from sandbox.app import Sandbox
from sandbox.mount import DEFAULT_BASE_URL, mounted
from sandbox.server import SERVER_FILE, SandboxServer
from sandbox.smtp import SandboxSmtpServer


def emulators_available() -> bool:
    """True when both real emulators import (for ``skipif`` while they are being written)."""
    try:
        importlib.import_module("sandbox.salesforce").SalesforceEmulator  # noqa: B018
        importlib.import_module("sandbox.hubspot").HubSpotEmulator  # noqa: B018
    except Exception:
        return False
    return True


@dataclass
class SandboxHandle:
    """A running sandbox server as tests see it."""

    server: SandboxServer
    sandbox: Sandbox
    smtp: SandboxSmtpServer | None = None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def ca_bundle(self) -> Path:
        return self.server.ca_bundle

    def client_env(self) -> dict[str, str]:
        """The variables ``crm-sync sandbox serve`` prints, for this server (and its SMTP server)."""
        from sandbox.serve import channel_env

        env = self.sandbox.client_env(self.url, self.ca_bundle)
        return {**env, **channel_env(self.url, self.smtp.env())} if self.smtp is not None else env

    def session(self) -> requests.Session:
        """A ``requests`` session trusting only the sandbox CA (``trust_env=False``: env bundles ignored)."""
        session = requests.Session()
        session.trust_env = False
        session.verify = str(self.ca_bundle)
        return session


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh in-process sandbox."""
    box = Sandbox()
    yield box
    box.close()


@pytest.fixture(scope="session")
def sandbox_server_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """One HTTPS sandbox server for the whole session (prefer ``sandbox_server``)."""
    box = Sandbox()
    tls = tmp_path_factory.mktemp("sandbox-tls")
    server = SandboxServer(box, tls_dir=tls)
    smtp = SandboxSmtpServer(box, "127.0.0.1", 0, tls / SERVER_FILE)
    with server, smtp:
        yield SandboxHandle(server=server, sandbox=box, smtp=smtp)


@pytest.fixture
def sandbox_server(sandbox_server_session: SandboxHandle) -> SandboxHandle:
    """The session's HTTPS sandbox server, reset (records, faults, emails, request log) for this test."""
    sandbox_server_session.sandbox.reset()
    sandbox_server_session.sandbox.latency_ms = 0
    return sandbox_server_session


@pytest.fixture
def sandbox_responses(sandbox: Sandbox) -> Iterator[tuple[Sandbox, responses.RequestsMock]]:
    """``(sandbox, rsps)``: the ``sandbox`` fixture mounted at DEFAULT_BASE_URL and *.salesforce.com."""
    with mounted(sandbox, DEFAULT_BASE_URL) as mount:
        yield mount
