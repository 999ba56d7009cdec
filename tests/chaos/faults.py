"""Faults injected on both CRMs through the sandbox's fault model: what can go wrong, and where."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sandbox.app import Sandbox

KINDS = ("429 Retry-After", "503", "dropped connection", "HTML error page", "401 expired session")

# Where the worker talks to each CRM (None: any request of that CRM).
PATHS = {
    "salesforce": (
        None,
        "/services/oauth2/token$",
        "/limits$",
        "/queryAll/?$",
        "/composite/sobjects",
        "/actions/standard/emailSimple$",
    ),
    "hubspot": (
        None,
        "/feedback_submissions/search$",
        "/calls/search$",
        "/batch/read$",
        "/owners",
        "/pipelines/tickets",
        "/tickets/batch/create$",
        "/tasks/batch/create$",
        "/emails/batch/create$",
        "/single-email/send$",
        "/crm/v4/associations/",
    ),
}

HTML = "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"


def _expired(crm: str) -> Any:
    if crm == "salesforce":
        return [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    return {
        "status": "error",
        "message": "The access token provided is invalid, expired or revoked.",
        "correlationId": str(uuid.uuid4()),
        "category": "INVALID_AUTHENTICATION",
    }


def fault_spec(crm: str, kind: str, path: str | None, times: int) -> dict[str, Any]:
    """A ``POST /_sandbox/faults`` body."""
    spec: dict[str, Any] = {"crm": crm, "times": times}
    if path:
        spec["path_regex"] = path
    if kind == "429 Retry-After":
        spec |= {"status": 429, "headers": {"Retry-After": "1"}}
    elif kind == "503":
        spec["status"] = 503
    elif kind == "dropped connection":
        spec["drop"] = True
    elif kind == "HTML error page":
        spec |= {"status": 502, "body": HTML, "headers": {"Content-Type": "text/html; charset=utf-8"}}
    else:
        spec |= {"status": 401, "body": _expired(crm)}
    return spec


@dataclass
class FaultLog:
    """Faults injected and how many of their answers the worker got, by ``crm: kind``."""

    injected: Counter[str] = field(default_factory=Counter)
    served: Counter[str] = field(default_factory=Counter)
    _live: dict[int, tuple[str, int]] = field(default_factory=dict)  # fault id -> (label, times)

    def inject(self, rng: random.Random, box: Sandbox, count: int) -> list[str]:
        """Add ``count`` random faults; returns their descriptions."""
        added = []
        for _ in range(count):
            crm = rng.choice(sorted(PATHS))
            kind = rng.choice(KINDS)
            path = rng.choice(PATHS[crm])
            if kind == "401 expired session" and path and "oauth2" in path:
                path = None
            times = rng.choice((1, 1, 1, 2, 4))
            fault = box.add_fault(fault_spec(crm, kind, path, times))
            label = f"{crm}: {kind}"
            self.injected[label] += 1
            self._live[fault["id"]] = (label, times)
            added.append(f"{label} x{times} on {path or 'any request'}")
        return added

    def left(self, box: Sandbox) -> dict[int, int]:
        """Uses left of each live fault."""
        return {f["id"]: f["times"] for f in box.faults()}

    def met(self, before: dict[int, int], after: dict[int, int]) -> set[str]:
        """The CRMs whose faults answered between two ``left()`` readings."""
        return {
            self._live[i][0].split(":")[0]
            for i, n in before.items()
            if i in self._live and after.get(i, 0) < n
        }

    def clear(self, box: Sandbox) -> None:
        """Count what the worker met, and remove what is left."""
        left = self.left(box)
        for fault_id, (label, times) in self._live.items():
            used = times - left.get(fault_id, 0)
            if used:
                self.served[label] += used
        self._live.clear()
        box.clear_faults()

    def count(self, rng: random.Random, mean: float) -> int:
        """How many faults before a run: 0, 1 or 2 around ``mean`` (at most 2)."""
        return sum(rng.random() < mean / 2 for _ in range(2))

    def lines(self) -> list[str]:
        total, served = sum(self.injected.values()), sum(self.served.values())
        out = [f"faults: {total} injected, {served} answers served instead of the CRM's"]
        kinds: Counter[str] = Counter()
        for label, n in self.injected.items():
            kinds[label.split(": ", 1)[1]] += n
        out.append("  by kind: " + ", ".join(f"{k} {kinds[k]}" for k in KINDS if kinds[k]))
        for label in sorted(self.injected):
            out.append(f"  {label}: {self.injected[label]} injected, {self.served[label]} served")
        return out
