"""Sandbox fixtures for tests under tests/sandbox, plus small fake emulators for the transport tests.

The fakes follow the emulator interface (``handles``/``handle``/``reset``/``snapshot``/``restore``)
so the app, server and mount can be tested without the real emulators.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from sandbox.app import Sandbox
from sandbox.core import Clock, Outbox, SandboxRequest, SandboxResponse, SentEmail, system_clock
from sandbox.testing import (  # noqa: F401
    sandbox,
    sandbox_responses,
    sandbox_server,
    sandbox_server_session,
)


class FakeEmulator:
    """A tiny CRM: echo on GET, ``.../records`` create/read, ``.../email`` sends, an OAuth token route."""

    prefix = "/"
    source = "fake"

    def __init__(self, outbox: Outbox, clock: Clock = system_clock, settings: Any = None) -> None:
        self.outbox = outbox
        self.clock = clock
        self.settings = settings
        self.store: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self.resets = 0

    def handles(self, path: str) -> bool:
        return path.startswith(self.prefix)

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        path = request.path
        if request.method == "POST" and path.endswith("/oauth2/token"):
            host = request.headers.get("host", "unknown")
            return SandboxResponse(200, {"access_token": "fake-token", "instance_url": f"https://{host}"})
        if request.method == "POST" and path.endswith("/records"):
            record_id = f"{self.source}-{next(self._ids)}"
            self.store[record_id] = request.json() or {}
            return SandboxResponse(201, {"id": record_id})
        if request.method == "GET" and "/records/" in path:
            record = self.store.get(path.rsplit("/", 1)[1])
            return (
                SandboxResponse(200, record) if record is not None else SandboxResponse(404, {"error": "nf"})
            )
        if request.method == "POST" and path.endswith("/email"):
            spec = request.json()
            email = SentEmail(
                self.source, spec["to"], [], spec["subject"], "", None, self.clock().isoformat()
            )
            self.outbox.record(email)
            return SandboxResponse(204)
        if request.method in ("GET", "HEAD"):
            return SandboxResponse(
                200,
                {"path": path, "query": request.query, "host": request.headers.get("host")},
                {"X-Fake": self.source},
            )
        return SandboxResponse(405, {"error": "method"})

    def reset(self) -> None:
        self.store.clear()
        self._ids = itertools.count(1)
        self.resets += 1

    def snapshot(self) -> dict[str, Any]:
        return {"store": self.store}

    def restore(self, state: dict[str, Any]) -> None:
        self.store = {k: dict(v) for k, v in state["store"].items()}
        self._ids = itertools.count(len(self.store) + 1)


class FakeSalesforce(FakeEmulator):
    prefix = "/services/"
    source = "salesforce"


class FakeHubSpot(FakeEmulator):
    prefix = "/crm/"
    source = "hubspot"

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        if request.method == "GET" and request.path.rstrip("/") == "/crm/v3/owners":
            if request.headers.get("authorization") != f"Bearer {self.settings.access_token}":
                return SandboxResponse(401, {"status": "error", "message": "bad token"})
            return SandboxResponse(200, {"results": list(self.owners)})
        return super().handle(request)

    @property
    def owners(self) -> list[dict[str, Any]]:
        return [v for k, v in self.store.items() if k.startswith("owner-")]

    def seed_owner(self, email: str, first_name: str, last_name: str, teams: list[str]) -> dict[str, Any]:
        owner = {
            "id": str(len(self.owners) + 1),
            "email": email,
            "firstName": first_name,
            "lastName": last_name,
            "archived": False,
            "createdAt": "2025-01-01T00:00:00Z",
            "updatedAt": "2025-01-01T00:00:00Z",
            "teams": [{"id": str(i), "name": t, "primary": i == 0} for i, t in enumerate(teams)],
        }
        self.store[f"owner-{owner['id']}"] = owner
        return owner


def make_fake_sandbox(**kwargs: Any) -> Sandbox:
    """A Sandbox over the fakes (keyword arguments go to ``Sandbox``)."""
    kwargs.setdefault("salesforce", FakeSalesforce)
    kwargs.setdefault("hubspot", FakeHubSpot)
    kwargs.setdefault("salesforce_settings", SimpleNamespace(client_id="sf-id", client_secret="sf secret'$"))
    kwargs.setdefault("hubspot_settings", SimpleNamespace(access_token="hs-token"))
    return Sandbox(**kwargs)


@pytest.fixture
def fake_sandbox_factory() -> Callable[..., Sandbox]:
    return make_fake_sandbox


@pytest.fixture
def fake_sandbox() -> Sandbox:
    return make_fake_sandbox()
