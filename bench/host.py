"""The sandbox in a process of its own, so the measured worker's CPU time and memory are its alone.

    python -m bench.host        # prints one JSON line (url, client environment), serves until stdin closes

Both CRMs are served over HTTPS on one port, on a :class:`MovableClock`, with their rate and daily
limits raised (:func:`bench.seeding.raise_limits`). Besides the sandbox's own API, ``/_bench/`` answers
the benchmark (these requests are not logged as CRM calls):

- ``GET /_bench/clock`` → ``{"now"}``; ``POST /_bench/clock {"advance_s"}`` moves it;
- ``POST /_bench/seed {"slis", "responses", "spread_s"}`` → ``{"work": {stream: counts}}``;
- ``GET /_bench/calls?since=N`` → ``{"next", "calls": [[crm, endpoint, count], ...]}`` for the request
  log from entry ``N`` on (aggregated here, so a 100,000-entry log never crosses the wire).
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from typing import Any

from bench.endpoints import count_calls
from bench.seeding import BenchOrg, raise_limits
from sandbox.app import Sandbox
from sandbox.clock import MovableClock
from sandbox.core import SandboxRequest, SandboxResponse, json_response
from sandbox.serve import channel_env
from sandbox.server import SERVER_FILE, SandboxServer
from sandbox.smtp import SandboxSmtpServer

PREFIX = "/_bench/"


class BenchSandbox(Sandbox):
    """A sandbox that also answers the benchmark's ``/_bench/`` requests."""

    def __init__(self, clock: MovableClock) -> None:
        super().__init__(clock=clock)
        self.movable = clock
        raise_limits(self)
        self._org: BenchOrg | None = None

    @property
    def org(self) -> BenchOrg:
        if self._org is None:
            self._org = BenchOrg(self, self.movable)
        return self._org

    def dispatch(self, request: SandboxRequest) -> SandboxResponse:
        if not request.path.startswith(PREFIX):
            return super().dispatch(request)
        try:
            return json_response(200, self._bench(request.method, request.path[len(PREFIX) :], request))
        except (KeyError, TypeError, ValueError) as exc:
            return json_response(400, {"error": f"{type(exc).__name__}: {exc}"})

    def _bench(self, method: str, what: str, request: SandboxRequest) -> dict[str, Any]:
        body = (request.json() or {}) if method == "POST" else {}
        if what == "clock":
            self.movable.advance(float(body.get("advance_s", 0)))
            return {"now": self.movable.now.isoformat()}
        if what == "seed":
            org, spread = self.org, timedelta(seconds=float(body.get("spread_s", 300)))
            work: dict[str, dict[str, int]] = {}
            if body.get("slis"):
                work["salesforce.sli"] = org.seed_slis(int(body["slis"]), spread)
            if body.get("responses"):
                work["hubspot.nps"] = org.seed_responses(int(body["responses"]), spread)
            return {"work": work}
        if what == "calls":
            since = int(request.arg("since", "0") or 0)
            log = self.requests()
            counts = count_calls(log[since:])
            return {
                "next": len(log),
                "calls": [[crm, label, n] for (crm, label), n in sorted(counts.items())],
            }
        raise KeyError(f"unknown bench request {method} {what}")


def main() -> None:
    sandbox = BenchSandbox(MovableClock())
    server = SandboxServer(sandbox, port=0)
    # The shipped config emails by SMTP and posts to chat: served here too, as `sandbox serve` does.
    smtp = SandboxSmtpServer(sandbox, "127.0.0.1", 0, server.tls_dir / SERVER_FILE)
    with server, smtp:
        env = {**sandbox.client_env(server.url, server.ca_bundle), **channel_env(server.url, smtp.env())}
        print(json.dumps({"url": server.url, "env": env}), flush=True)
        sys.stdin.read()  # until the benchmark closes our stdin (or exits)


if __name__ == "__main__":
    main()
