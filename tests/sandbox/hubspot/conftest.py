"""Fixtures for the HubSpot emulator: a controllable clock, direct ``handle()`` calls and a local
plain-HTTP server the real hubspot-api-client can talk to."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hubspot import HubSpot

from sandbox.clock import MovableClock
from sandbox.core import Outbox, SandboxRequest, SandboxResponse
from sandbox.hubspot import HubSpotEmulator, HubSpotSettings

TOKEN = HubSpotSettings().access_token
START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)

Api = Callable[..., SandboxResponse]


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def emulator(outbox: Outbox, clock: MovableClock) -> HubSpotEmulator:
    return HubSpotEmulator(outbox, clock=clock)


@pytest.fixture
def api(emulator: HubSpotEmulator) -> Api:
    """``api(method, path_and_query, body=None, token=TOKEN)`` straight through ``handle()``."""

    def call(method: str, url: str, body: Any = None, token: str | None = TOKEN) -> SandboxResponse:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        raw = json.dumps(body) if body is not None else None
        return emulator.handle(SandboxRequest.from_url(method, url, headers, raw))

    return call


def _handler_for(emulator: HubSpotEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = SandboxRequest.from_url(
                self.command, self.path, dict(self.headers.items()), self.rfile.read(length)
            )
            response = emulator.handle(request)
            payload = response.encoded()
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type())
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler


@pytest.fixture
def base_url(emulator: HubSpotEmulator) -> Iterator[str]:
    """The emulator served over plain HTTP on an ephemeral localhost port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(emulator))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def client(base_url: str) -> HubSpot:
    """hubspot-api-client 12 pointed at the local emulator."""
    return HubSpot(access_token=TOKEN, host=base_url, base_url=base_url)


@pytest.fixture
def make_ticket(emulator: HubSpotEmulator) -> Callable[..., dict[str, Any]]:
    """``make_ticket(associations=None, **properties)``: a ticket in the Support Pipeline's "New" stage."""

    def make(associations: list[Any] | None = None, **properties: Any) -> dict[str, Any]:
        props = {"subject": "Detractor follow-up", "hs_pipeline": "0", "hs_pipeline_stage": "1", **properties}
        return emulator.create("tickets", props, associations)

    return make
