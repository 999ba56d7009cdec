"""The ``/_sandbox/*`` control endpoints: health, sent emails, request log, faults, clock, HubSpot seeding
(owners and records of any object type, read-only ones included) and knobs (the wording of a unique-value
clash), reset.

They answer from the sandbox's Python API (``Controllable``), so both mirror each other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sandbox.clock import parse_duration, parse_instant
from sandbox.core import CRMS, SandboxRequest, SandboxResponse, json_response

log = logging.getLogger(__name__)

CONTROL_PREFIX = "/_sandbox"
HUBSPOT_OBJECTS = "/hubspot/objects/"


def is_control(path: str) -> bool:
    """True for ``/_sandbox`` and the paths below it."""
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


class Controllable(Protocol):
    """What the control endpoints need from the sandbox."""

    hubspot: Any

    def emails(self) -> list[dict[str, Any]]: ...

    def chat_messages(self) -> list[dict[str, Any]]: ...

    def requests(self) -> list[dict[str, Any]]: ...

    def faults(self) -> list[dict[str, Any]]: ...

    def add_fault(self, spec: Any) -> dict[str, Any]: ...

    def clear_faults(self) -> int: ...

    def reset(self) -> None: ...

    def clock_state(self) -> dict[str, Any]: ...

    def set_clock(self, when: datetime) -> dict[str, Any]: ...

    def advance_clock(self, delta: timedelta) -> dict[str, Any]: ...


class ControlEndpoints:
    """Routes ``/_sandbox/*`` requests to ``box``; errors come back as JSON, never raised."""

    def __init__(self, box: Controllable) -> None:
        self.box = box
        self._handlers: dict[tuple[str, str], Callable[[SandboxRequest], SandboxResponse]] = {
            ("GET", "/health"): lambda r: json_response(200, {"status": "ok", "crms": list(CRMS)}),
            ("GET", "/emails"): lambda r: json_response(200, {"emails": box.emails()}),
            ("GET", "/chat"): lambda r: json_response(200, {"messages": box.chat_messages()}),
            ("GET", "/requests"): lambda r: json_response(200, {"requests": box.requests()}),
            ("GET", "/faults"): lambda r: json_response(200, {"faults": box.faults()}),
            ("POST", "/faults"): self._post_fault,
            ("DELETE", "/faults"): lambda r: json_response(200, {"cleared": box.clear_faults()}),
            ("GET", "/clock"): lambda r: json_response(200, box.clock_state()),
            ("POST", "/clock"): self._post_clock,
            ("POST", "/hubspot/owners"): self._post_owner,
            ("POST", "/hubspot/unique-clash"): self._post_unique_clash,
            ("POST", "/hubspot/send-results"): self._post_send_results,
            ("POST", "/reset"): self._post_reset,
        }

    def answer(self, request: SandboxRequest) -> SandboxResponse:
        """The endpoint's answer; 404/405 for unknown routes, 400/500 when the handler raises."""
        try:
            return self._route(request)
        except ValueError as exc:  # e.g. an emulator refusing seeded data
            return json_response(400, {"error": "bad_request", "message": str(exc)})
        except Exception as exc:
            log.exception("sandbox control endpoint failed on %s %s", request.method, request.path)
            return json_response(500, {"error": "sandbox_error", "message": repr(exc)})

    def _route(self, request: SandboxRequest) -> SandboxResponse:
        route = request.path[len(CONTROL_PREFIX) :].rstrip("/") or "/"
        method = request.method.upper()
        handler = self._handlers.get((method, route))
        if handler is not None:
            return handler(request)
        if route.startswith(HUBSPOT_OBJECTS) and "/" not in route[len(HUBSPOT_OBJECTS) :]:
            if method != "POST":
                return json_response(
                    405, {"error": "method_not_allowed", "message": f"{method} {request.path}"}
                )
            return self._post_hubspot_object(request, route[len(HUBSPOT_OBJECTS) :])
        if any(path == route for _, path in self._handlers):
            return json_response(405, {"error": "method_not_allowed", "message": f"{method} {request.path}"})
        return json_response(404, {"error": "not_found", "message": f"no sandbox endpoint {request.path}"})

    def _post_fault(self, request: SandboxRequest) -> SandboxResponse:
        try:
            fault = self.box.add_fault(request.json())
        except ValueError as exc:
            return json_response(400, {"error": "bad_request", "message": str(exc)})
        return json_response(201, {"fault": fault})

    def _post_owner(self, request: SandboxRequest) -> SandboxResponse:
        try:
            spec = request.json()
        except ValueError:
            spec = None
        if not isinstance(spec, dict) or not isinstance(spec.get("email"), str) or not spec["email"]:
            return json_response(400, {"error": "bad_request", "message": "email is required"})
        teams = spec.get("teams") or []
        if not isinstance(teams, list) or not all(isinstance(t, str) for t in teams):
            return json_response(400, {"error": "bad_request", "message": "teams must be a list of names"})
        kind = {"owner_type": str(spec["type"])} if spec.get("type") else {}  # PERSON unless given
        owner = self.box.hubspot.seed_owner(
            spec["email"], str(spec.get("firstName") or ""), str(spec.get("lastName") or ""), teams, **kind
        )
        return json_response(201, owner)

    def _post_unique_clash(self, request: SandboxRequest) -> SandboxResponse:
        """How HubSpot words a unique-value clash: ``{"message": "... {id} ... {property}", "code"}``."""
        try:
            spec = request.json()
        except ValueError:
            spec = None
        if not isinstance(spec, dict) or not all(
            isinstance(spec.get(k), str) and spec[k] for k in ("message", "code")
        ):
            return _bad_request('the body is {"message": "{id} holds {property}", "code": "DUPLICATE_VALUE"}')
        return json_response(200, self.box.hubspot.unique_clash(spec["message"], spec["code"]))

    def _post_send_results(self, request: SandboxRequest) -> SandboxResponse:
        """Script transactional sends: ``{"results": {address: sendResult}, "pending": "1m",
        "processing": "1m"}`` (each key optional)."""
        usage = '{"results": {"pat@example.com": "PREVIOUSLY_BOUNCED"}, "pending": "1m", "processing": "1m"}'
        try:
            spec = request.json()
        except ValueError:
            spec = None
        if not isinstance(spec, dict) or not set(spec) <= {"results", "pending", "processing"}:
            return _bad_request(f"the body is {usage}")
        results = spec.get("results") or {}
        if not isinstance(results, dict) or not all(isinstance(v, str) for v in results.values()):
            return _bad_request(f"results map addresses to sendResult names: {usage}")
        pace = {}
        for key in ("pending", "processing"):
            if spec.get(key) is not None:
                try:
                    pace[key] = parse_duration(spec[key])
                except (TypeError, ValueError) as exc:
                    return _bad_request(f"{key}: {exc}")
        return json_response(200, self.box.hubspot.send_results(results, **pace))

    def _post_clock(self, request: SandboxRequest) -> SandboxResponse:
        try:
            spec = request.json()
        except ValueError:
            spec = None
        if not isinstance(spec, dict) or len(spec) != 1 or not ({"set", "advance"} & spec.keys()):
            return _bad_request('the body is {"set": "2026-12-01T09:00:00Z"} or {"advance": "2d"}')
        try:
            if "set" in spec:
                return json_response(200, self.box.set_clock(parse_instant(spec["set"])))
            return json_response(200, self.box.advance_clock(parse_duration(spec["advance"])))
        except ValueError as exc:
            return _bad_request(f"{next(iter(spec))}: {exc}")
        except TypeError as exc:
            return json_response(409, {"error": "clock_not_movable", "message": str(exc)})

    def _post_hubspot_object(self, request: SandboxRequest, object_type: str) -> SandboxResponse:
        """Create a record as ``POST crm/v3/objects/{type}`` would, read-only types included; no rate
        limit, no faults. HubSpot's own validation errors come back in HubSpot's error shape."""
        try:
            spec = request.json()
        except ValueError:
            spec = None
        if not isinstance(spec, dict):
            return _bad_request('the body is {"properties": {...}, "associations": [...]}')
        properties = spec["properties"] if spec.get("properties") is not None else {}
        associations = spec["associations"] if spec.get("associations") is not None else []
        if not isinstance(properties, dict):
            return _bad_request("properties must be an object of property names to values")
        if not isinstance(associations, list) or not all(isinstance(a, dict) for a in associations):
            return _bad_request('associations must be a list of {"to": {"id"}, "types": [...]}')
        try:
            record = self.box.hubspot.create(object_type, properties, associations)
        except Exception as exc:
            status, body = getattr(exc, "status", None), getattr(exc, "body", None)
            if isinstance(status, int) and callable(body):  # the emulator's HubSpot-shaped ApiError
                return json_response(status, body())
            raise
        return json_response(201, record)

    def _post_reset(self, request: SandboxRequest) -> SandboxResponse:
        self.box.reset()
        return json_response(200, {"status": "reset"})


def _bad_request(message: str) -> SandboxResponse:
    return json_response(400, {"error": "bad_request", "message": message})
