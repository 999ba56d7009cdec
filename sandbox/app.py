"""``Sandbox``: one outbox, the Salesforce and HubSpot emulators, faults, control endpoints and the
state file behind a single transport-neutral ``dispatch``.

``sandbox.server`` serves it over HTTPS and ``sandbox.mount`` answers ``responses`` callbacks with it.
Faults live in ``sandbox.faults``, the ``/_sandbox`` endpoints in ``sandbox.control`` and the state
file in ``sandbox.persistence``.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from pathlib import Path
from typing import Any, Protocol

from sandbox.chat import ChatReceiver
from sandbox.clock import OffsetClock, SettableClock
from sandbox.control import ControlEndpoints, is_control
from sandbox.core import (
    Clock,
    Outbox,
    SandboxRequest,
    SandboxResponse,
    SentEmail,
    json_response,
    system_clock,
)
from sandbox.faults import Faults, is_drop
from sandbox.persistence import STATE_FORMAT, StateFile

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Emulator(Protocol):
    """What the sandbox needs from one CRM emulator."""

    def handles(self, path: str) -> bool: ...

    def handle(self, request: SandboxRequest) -> SandboxResponse: ...

    def reset(self) -> None: ...

    def snapshot(self) -> dict[str, Any]: ...

    def restore(self, state: dict[str, Any]) -> None: ...


EmulatorFactory = Callable[..., Any]  # called as factory(outbox, clock=clock, settings=settings)


@dataclass(frozen=True)
class Credentials:
    """What a client needs to log in to the emulated CRMs."""

    salesforce_client_id: str
    salesforce_client_secret: str
    hubspot_access_token: str


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
    The default clock is an ``OffsetClock`` on the wall clock, so ``POST /_sandbox/clock`` can move it.
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
        self.clock: Clock = OffsetClock() if clock is system_clock else clock
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
        self.chat = ChatReceiver(self.clock)
        self._emulators: tuple[tuple[str, Any], ...] = (
            ("salesforce", self.salesforce),
            ("hubspot", self.hubspot),
            ("chat", self.chat),
        )
        self._lock = threading.RLock()
        self._faults = Faults()
        self._requests: list[dict[str, Any]] = []
        self._control = ControlEndpoints(self)
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.save_debounce_s = save_debounce_s
        self._state = (
            StateFile(self.state_dir, self.snapshot, self.restore, self._lock, save_debounce_s)
            if self.state_dir is not None
            else None
        )
        self.loaded_state = self._state.load() if self._state is not None else False

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
        if is_control(request.path):
            with self._lock:
                response = self._control.answer(request)
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
        faulted = self._faults.take(crm, request)
        if faulted is not None:
            return faulted
        if emulator is None:
            return json_response(404, {"error": "not_found", "message": f"no emulator serves {request.path}"})
        try:
            response: SandboxResponse = emulator.handle(request)
        except Exception as exc:  # an emulator bug must not kill the transport
            log.exception("%s emulator failed on %s %s", crm, request.method, request.path)
            return json_response(500, {"error": "sandbox_emulator_error", "message": repr(exc)})
        return response

    # -- python API (the control endpoints' bodies) ----------------------------------------------

    def add_fault(self, spec: Any) -> dict[str, Any]:
        """Register a fault (the ``POST /_sandbox/faults`` body); returns it as listed."""
        with self._lock:
            return self._faults.add(spec).as_json()

    def faults(self) -> list[dict[str, Any]]:
        with self._lock:
            return self._faults.listed()

    def clear_faults(self) -> int:
        with self._lock:
            return self._faults.clear()

    def emails(self) -> list[dict[str, Any]]:
        with self._lock:
            return [e.as_json() for e in list(self.outbox.emails)]

    def chat_messages(self) -> list[dict[str, Any]]:
        """Messages the chat webhooks took (``GET /_sandbox/chat``)."""
        with self._lock:
            return [dict(m) for m in self.chat.messages]

    def receive_email(self, email: SentEmail) -> None:
        """A message the SMTP server accepted."""
        with self._lock:
            self.outbox.record(email)
        self._changed(mutating=True)

    def take_fault(self, target: str, request: SandboxRequest) -> SandboxResponse | None:
        """The injected answer for a request that does not come through ``dispatch`` (SMTP)."""
        with self._lock:
            return self._faults.take(target, request)

    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._requests]

    def clock_state(self) -> dict[str, Any]:
        """``{"now": ISO-8601, "movable": bool[, "offset_seconds": N]}`` (``GET /_sandbox/clock``)."""
        with self._lock:
            state: dict[str, Any] = {
                "now": self.clock().astimezone(UTC).isoformat().replace("+00:00", "Z"),
                "movable": isinstance(self.clock, SettableClock),
            }
            if isinstance(self.clock, OffsetClock):
                state["offset_seconds"] = self.clock.offset.total_seconds()
            return state

    def set_clock(self, when: datetime) -> dict[str, Any]:
        """Make it ``when`` for both CRMs; ``TypeError`` when the clock given to the sandbox cannot move."""
        with self._lock:
            self._movable_clock().set(when)
        self._changed(mutating=True)
        return self.clock_state()

    def advance_clock(self, delta: timedelta) -> dict[str, Any]:
        """Move both CRMs' clock forward by ``delta``."""
        with self._lock:
            self._movable_clock().advance(delta.total_seconds())
        self._changed(mutating=True)
        return self.clock_state()

    def _movable_clock(self) -> SettableClock:
        if not isinstance(self.clock, SettableClock):
            raise TypeError("this sandbox's clock cannot be moved (it was given a fixed clock function)")
        return self.clock

    def reset(self) -> None:
        """Reference org and portal, no records, no faults, no emails, empty request log; the sandbox's
        own clock back to the wall clock (a clock passed in is left alone)."""
        with self._lock:
            if isinstance(self.clock, OffsetClock):
                self.clock.reset()
            self.salesforce.reset()
            self.hubspot.reset()
            self.chat.reset()
            self.outbox.clear()
            self._faults.clear()
            self._requests.clear()
        self._changed(mutating=True)

    # -- state (the file is kept by sandbox.persistence) -----------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything persisted: both emulators, the outbox, the request log and the clock (not faults)."""
        with self._lock:
            state = {
                "format": STATE_FORMAT,
                "salesforce": self.salesforce.snapshot(),
                "hubspot": self.hubspot.snapshot(),
                "emails": self.emails(),
                "chat": self.chat.snapshot(),
                "requests": self.requests(),
            }
            clock = self._clock_snapshot()
            if clock is not None:
                state["clock"] = clock
            return state

    def _clock_snapshot(self) -> dict[str, Any] | None:
        # The sandbox's own clock is kept as its offset: time spent stopped still passes, as on a server.
        # A clock passed in belongs to the caller and is not saved.
        if isinstance(self.clock, OffsetClock):
            return {"offset_seconds": self.clock.offset.total_seconds()}
        return None

    def _restore_clock(self, state: Any) -> None:
        if not isinstance(state, dict):
            return
        if isinstance(self.clock, OffsetClock) and "offset_seconds" in state:
            self.clock.offset = timedelta(seconds=float(state["offset_seconds"]))

    def restore(self, state: dict[str, Any]) -> None:
        """Inverse of ``snapshot()``."""
        if state.get("format") != STATE_FORMAT:
            raise ValueError(f"unsupported sandbox state format {state.get('format')!r}")
        with self._lock:
            self.salesforce.restore(state["salesforce"])
            self.hubspot.restore(state["hubspot"])
            self.chat.restore(state.get("chat") or {})
            self.outbox.clear()
            for email in state.get("emails", []):
                self.outbox.record(SentEmail(**email))
            self._requests = [dict(r) for r in state.get("requests", [])]
            self._faults.clear()
            self._restore_clock(state.get("clock"))

    @property
    def state_file(self) -> Path | None:
        return self._state.path if self._state is not None else None

    def load(self) -> bool:
        """Restore from the state file if there is one; True when something was loaded."""
        return self._state.load() if self._state is not None else False

    def save(self) -> None:
        """Write the state file atomically (temp file + rename); no-op without a state dir."""
        if self._state is not None:
            self._state.save()

    def _changed(self, *, mutating: bool) -> None:
        if self._state is not None:
            self._state.changed(mutating=mutating)

    def flush(self) -> None:
        """Save now if anything changed since the last save."""
        if self._state is not None:
            self._state.flush()

    def close(self) -> None:
        """Stop the debounce timer and save the state (with a state dir)."""
        if self._state is not None:
            self._state.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
