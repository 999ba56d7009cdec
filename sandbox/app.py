"""The sandbox application: both CRM emulators, fault injection, control endpoints, persistence.

``Sandbox.dispatch`` is transport-neutral; ``sandbox.server`` serves it over HTTPS and
``sandbox.mount`` answers ``responses`` callbacks with it.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any, Protocol

from sandbox.core import Clock, Outbox, SandboxRequest, SandboxResponse, SentEmail, system_clock

log = logging.getLogger(__name__)

CRMS = ("salesforce", "hubspot")
CONTROL_PREFIX = "/_sandbox"
STATE_FILE = "state.json"
STATE_FORMAT = 1
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Emulator(Protocol):
    """What the sandbox needs from one CRM emulator."""

    def handles(self, path: str) -> bool: ...

    def handle(self, request: SandboxRequest) -> SandboxResponse: ...

    def reset(self) -> None: ...

    def snapshot(self) -> dict[str, Any]: ...

    def restore(self, state: dict[str, Any]) -> None: ...


EmulatorFactory = Callable[..., Any]  # called as factory(outbox, clock=clock, settings=settings)


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


def wire_headers(response: SandboxResponse) -> list[tuple[str, str]]:
    """Headers to send for ``response``: its own plus a Content-Type when it has a body and none."""
    headers = [(str(k), str(v)) for k, v in response.headers.items()]
    has_type = any(k.lower() == "content-type" for k, _ in headers)
    if response.body is not None and not has_type:
        headers.append(("Content-Type", response.content_type()))
    return headers


def json_response(status: int, body: Any = None, headers: dict[str, str] | None = None) -> SandboxResponse:
    return SandboxResponse(status=status, body=body, headers=dict(headers or {}))


@dataclass(frozen=True)
class Credentials:
    """What a client needs to log in to the emulated CRMs."""

    salesforce_client_id: str
    salesforce_client_secret: str
    hubspot_access_token: str


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
        if crm is not None and crm not in CRMS:
            raise ValueError(f"crm must be one of {', '.join(CRMS)} or omitted")
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
        if self.crm is not None and self.crm != crm:
            return False
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


def _load_default(module: str, name: str) -> Any:
    return getattr(importlib.import_module(module), name)


def _is_factory(source: Any) -> bool:
    return isinstance(source, type) or not hasattr(source, "handle")


class Sandbox:
    """One outbox, one Salesforce emulator and one HubSpot emulator behind a single ``dispatch``.

    ``salesforce``/``hubspot`` may be emulator instances (then pass the ``outbox`` they write to)
    or factories called as ``factory(outbox, clock=clock, settings=settings)``; by default the real
    ``sandbox.salesforce.SalesforceEmulator`` and ``sandbox.hubspot.HubSpotEmulator``.
    With ``state_dir`` the state is loaded on start and saved to ``state_dir/state.json``
    ``save_debounce_s`` after a mutating request (at once when 0) and on ``close()``.
    """

    def __init__(
        self,
        *,
        clock: Clock = system_clock,
        salesforce: Any = None,
        hubspot: Any = None,
        salesforce_settings: Any = None,
        hubspot_settings: Any = None,
        outbox: Outbox | None = None,
        latency_ms: float = 0,
        state_dir: str | os.PathLike[str] | None = None,
        save_debounce_s: float = 0.0,
    ) -> None:
        self.clock = clock
        self.outbox = outbox if outbox is not None else Outbox()
        self.latency_ms = latency_ms
        self.salesforce_settings = salesforce_settings
        self.hubspot_settings = hubspot_settings
        self.salesforce: Any = self._build(
            salesforce, "sandbox.salesforce", "SalesforceEmulator", "SalesforceSettings", "salesforce"
        )
        self.hubspot: Any = self._build(
            hubspot, "sandbox.hubspot", "HubSpotEmulator", "HubSpotSettings", "hubspot"
        )
        self._emulators: tuple[tuple[str, Any], ...] = (
            ("salesforce", self.salesforce),
            ("hubspot", self.hubspot),
        )
        self._lock = threading.RLock()
        self._save_lock = threading.Lock()
        self._faults: list[Fault] = []
        self._next_fault_id = 1
        self._requests: list[dict[str, Any]] = []
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.save_debounce_s = save_debounce_s
        self._dirty = False
        self._timer: threading.Timer | None = None
        self._closed = False
        if self.state_dir is not None:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            self.load()

    def _build(self, source: Any, module: str, cls_name: str, settings_name: str, crm: str) -> Any:
        attr = f"{crm}_settings"
        settings = getattr(self, attr)
        if source is None:
            source = _load_default(module, cls_name)
            if settings is None:
                settings = _load_default(module, settings_name)()
                setattr(self, attr, settings)
        if not _is_factory(source):
            return source
        return source(self.outbox, clock=self.clock, settings=settings)

    # -- identity -------------------------------------------------------------------------------

    def credentials(self) -> Credentials:
        """Client id/secret and access token the emulators accept (from their settings)."""
        sf = self.salesforce_settings or getattr(self.salesforce, "settings", None)
        hs = self.hubspot_settings or getattr(self.hubspot, "settings", None)
        if sf is None or hs is None:
            raise RuntimeError("emulator settings unknown: pass salesforce_settings/hubspot_settings")
        return Credentials(str(sf.client_id), str(sf.client_secret), str(hs.access_token))

    def client_env(self, base_url: str, ca_bundle: str | os.PathLike[str]) -> dict[str, str]:
        """The six variables a crm-sync client needs, in the order ``serve`` prints them."""
        creds = self.credentials()
        return {
            "SALESFORCE_LOGIN_URL": base_url,
            "SALESFORCE_CLIENT_ID": creds.salesforce_client_id,
            "SALESFORCE_CLIENT_SECRET": creds.salesforce_client_secret,
            "HUBSPOT_BASE_URL": base_url,
            "HUBSPOT_ACCESS_TOKEN": creds.hubspot_access_token,
            "CRM_SYNC_CA_BUNDLE": str(Path(ca_bundle).resolve()),
        }

    # -- dispatch -------------------------------------------------------------------------------

    def route(self, path: str) -> tuple[str | None, Any]:
        """``(crm name, emulator)`` for ``path``, or ``(None, None)``."""
        for name, emulator in self._emulators:
            if emulator.handles(path):
                return name, emulator
        return None, None

    def dispatch(self, request: SandboxRequest) -> SandboxResponse:
        """Answer one request: control endpoint, injected fault, emulator, or 404."""
        if request.path == CONTROL_PREFIX or request.path.startswith(CONTROL_PREFIX + "/"):
            with self._lock:
                try:
                    response = self._control(request)
                except ValueError as exc:  # e.g. an emulator refusing seeded data
                    response = json_response(400, {"error": "bad_request", "message": str(exc)})
                except Exception as exc:
                    log.exception("sandbox control endpoint failed on %s %s", request.method, request.path)
                    response = json_response(500, {"error": "sandbox_error", "message": repr(exc)})
            if request.method.upper() not in SAFE_METHODS:
                self._changed(mutating=True)
            return response
        if self.latency_ms > 0:
            time.sleep(self.latency_ms / 1000)
        with self._lock:
            crm, emulator = self.route(request.path)
            response = self._answer(crm, emulator, request)
            if not is_drop(response):
                response.headers.setdefault("Date", formatdate(self.clock().timestamp(), usegmt=True))
            self._requests.append(
                {
                    "crm": crm,
                    "method": request.method.upper(),
                    "path": request.path,
                    "status": response.status,
                    "at": self.clock().isoformat(),
                }
            )
        self._changed(mutating=request.method.upper() not in SAFE_METHODS)
        return response

    def _answer(self, crm: str | None, emulator: Any, request: SandboxRequest) -> SandboxResponse:
        for fault in self._faults:
            if fault.matches(crm, request):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault.response(crm)
        if emulator is None:
            return json_response(404, {"error": "not_found", "message": f"no emulator serves {request.path}"})
        try:
            response: SandboxResponse = emulator.handle(request)
        except Exception as exc:  # an emulator bug must not kill the transport
            log.exception("%s emulator failed on %s %s", crm, request.method, request.path)
            return json_response(500, {"error": "sandbox_emulator_error", "message": repr(exc)})
        return response

    # -- control endpoints ----------------------------------------------------------------------

    def _control(self, request: SandboxRequest) -> SandboxResponse:
        route = request.path[len(CONTROL_PREFIX) :].rstrip("/") or "/"
        method = request.method.upper()
        handlers: dict[tuple[str, str], Callable[[SandboxRequest], SandboxResponse]] = {
            ("GET", "/health"): lambda r: json_response(200, {"status": "ok", "crms": list(CRMS)}),
            ("GET", "/emails"): lambda r: json_response(200, {"emails": self.emails()}),
            ("GET", "/requests"): lambda r: json_response(200, {"requests": self.requests()}),
            ("GET", "/faults"): lambda r: json_response(200, {"faults": self.faults()}),
            ("POST", "/faults"): self._post_fault,
            ("DELETE", "/faults"): lambda r: json_response(200, {"cleared": self.clear_faults()}),
            ("POST", "/hubspot/owners"): self._post_owner,
            ("POST", "/reset"): self._post_reset,
        }
        handler = handlers.get((method, route))
        if handler is not None:
            return handler(request)
        if any(path == route for _, path in handlers):
            return json_response(405, {"error": "method_not_allowed", "message": f"{method} {request.path}"})
        return json_response(404, {"error": "not_found", "message": f"no sandbox endpoint {request.path}"})

    def _post_fault(self, request: SandboxRequest) -> SandboxResponse:
        try:
            fault = self.add_fault(request.json())
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
        owner = self.hubspot.seed_owner(
            spec["email"], str(spec.get("firstName") or ""), str(spec.get("lastName") or ""), teams
        )
        return json_response(201, owner)

    def _post_reset(self, request: SandboxRequest) -> SandboxResponse:
        self.reset()
        return json_response(200, {"status": "reset"})

    # -- python API (the control endpoints' bodies) ----------------------------------------------

    def add_fault(self, spec: Any) -> dict[str, Any]:
        """Register a fault (the ``POST /_sandbox/faults`` body); returns it as listed."""
        with self._lock:
            fault = Fault.parse(self._next_fault_id, spec)
            self._next_fault_id += 1
            self._faults.append(fault)
            return fault.as_json()

    def faults(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.as_json() for f in self._faults]

    def clear_faults(self) -> int:
        with self._lock:
            count = len(self._faults)
            self._faults.clear()
            return count

    def emails(self) -> list[dict[str, Any]]:
        with self._lock:
            return [e.as_json() for e in list(self.outbox.emails)]

    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._requests]

    def reset(self) -> None:
        """Reference org and portal, no records, no faults, no emails, empty request log."""
        with self._lock:
            self.salesforce.reset()
            self.hubspot.reset()
            self.outbox.clear()
            self._faults.clear()
            self._requests.clear()
        self._changed(mutating=True)

    # -- persistence ----------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything persisted: both emulators, the outbox and the request log (not faults)."""
        with self._lock:
            return {
                "format": STATE_FORMAT,
                "salesforce": self.salesforce.snapshot(),
                "hubspot": self.hubspot.snapshot(),
                "emails": self.emails(),
                "requests": self.requests(),
            }

    def restore(self, state: dict[str, Any]) -> None:
        """Inverse of ``snapshot()``."""
        if state.get("format") != STATE_FORMAT:
            raise ValueError(f"unsupported sandbox state format {state.get('format')!r}")
        with self._lock:
            self.salesforce.restore(state["salesforce"])
            self.hubspot.restore(state["hubspot"])
            self.outbox.clear()
            for email in state.get("emails", []):
                self.outbox.record(SentEmail(**email))
            self._requests = [dict(r) for r in state.get("requests", [])]
            self._faults.clear()

    @property
    def state_file(self) -> Path | None:
        return self.state_dir / STATE_FILE if self.state_dir is not None else None

    def load(self) -> bool:
        """Restore from the state file if there is one; True when something was loaded."""
        path = self.state_file
        if path is None or not path.exists():
            return False
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            self.restore(state)
        except (ValueError, KeyError, TypeError) as exc:
            raise RuntimeError(f"cannot load sandbox state {path}: {exc} (delete it to start over)") from exc
        return True

    def save(self) -> None:
        """Write the state file atomically (temp file + rename); no-op without a state dir."""
        path = self.state_file
        if path is None:
            return
        with self._save_lock:
            with self._lock:
                self._dirty = False
                state = self.snapshot()
            data = json.dumps(state, indent=1, sort_keys=True)
            fd, tmp = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise

    def _changed(self, *, mutating: bool) -> None:
        if self.state_dir is None:
            return
        with self._lock:
            self._dirty = True
            if not mutating or self._closed:
                return
            if self.save_debounce_s > 0:
                if self._timer is None:
                    self._timer = threading.Timer(self.save_debounce_s, self._debounced_save)
                    self._timer.daemon = True
                    self._timer.start()
                return
        self._safe_save()

    def _debounced_save(self) -> None:
        with self._lock:
            self._timer = None
        self._safe_save()

    def _safe_save(self) -> None:
        try:
            self.save()
        except Exception:
            log.exception("saving sandbox state failed")

    def flush(self) -> None:
        """Save now if anything changed since the last save."""
        with self._lock:
            timer, self._timer = self._timer, None
            dirty = self._dirty
        if timer is not None:
            timer.cancel()
        if dirty:
            self.save()

    def close(self) -> None:
        """Stop the debounce timer and save the state (with a state dir)."""
        with self._lock:
            timer, self._timer = self._timer, None
            self._closed = True
        if timer is not None:
            timer.cancel()
        self.save()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
