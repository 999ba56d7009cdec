"""``HubSpotEmulator``: authentication, rate limits and routing in front of one emulated portal."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any

from sandbox.core import Clock, Outbox, SandboxRequest, SandboxResponse, system_clock

from .api_associations import AssociationsApi
from .api_marketing import MarketingApi
from .api_objects import ObjectsApi
from .api_portal import PortalApi
from .errors import ApiError
from .ratelimit import RateLimiter
from .routing import Call, Router
from .settings import HubSpotSettings
from .state import PortalState
from .versions import legacy_path
from .views import object_json

DAILY_HEADERS = "X-HubSpot-RateLimit-Daily"  # and -Daily-Remaining: not sent to OAuth apps
RESULT = re.compile(r"[A-Z][A-Z_]*")
PREFIXES = ("/crm/", "/marketing/", "/oauth/", "/settings/")
TOKENLESS_PREFIX = "/oauth/"  # token introspection carries the token in its body
STATE_FORMAT = 1
NO_CREDENTIALS = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more "
    "details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


class HubSpotEmulator:
    """A stateful, thread-safe emulation of one HubSpot portal's CRM API (see ``sandbox/README.md``)."""

    def __init__(
        self, outbox: Outbox, clock: Clock = system_clock, settings: HubSpotSettings | None = None
    ) -> None:
        self.settings = settings or HubSpotSettings()
        self.outbox = outbox
        self.clock = clock
        self._lock = threading.RLock()
        self._state = PortalState(outbox, clock)
        self._limiter = RateLimiter(self.settings, clock, self._state.ref.portal_id)
        self._router = Router()
        ObjectsApi(self._state).register(self._router)
        AssociationsApi(self._state).register(self._router)
        PortalApi(self._state, self.settings).register(self._router)
        MarketingApi(self._state).register(self._router)

    # -- HTTP ------------------------------------------------------------------------------------

    def handles(self, path: str) -> bool:
        """Whether ``path`` is a HubSpot API path (``/crm``, ``/marketing``, ``/oauth``, ``/settings``)."""
        return path.startswith(PREFIXES)

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Answer one request as HubSpot would: 401, 429, or the endpoint's answer with rate-limit headers."""
        with self._lock:
            tokenless = request.path.startswith(TOKENLESS_PREFIX)
            if not tokenless:
                refused = self._authenticate(request)
                if refused is not None:
                    return SandboxResponse(refused.status, refused.body())
            headers: dict[str, str] = {}
            if not tokenless:
                search = request.method.upper() == "POST" and request.path.rstrip("/").endswith("/search")
                headers, limited = self._limiter.admit(search)
                if self._token(request) == self.settings.oauth_access_token:
                    headers = {k: v for k, v in headers.items() if not k.startswith(DAILY_HEADERS)}
                if limited is not None:
                    return SandboxResponse(429, limited, headers)
            try:
                path = legacy_path(request.path)
                handler, params = self._router.resolve(request.method.upper(), path)
                response = handler(Call(request, params))
            except ApiError as error:
                response = SandboxResponse(error.status, error.body())
            response.headers.update(headers)
            return response

    @staticmethod
    def _token(request: SandboxRequest) -> str | None:
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    def _authenticate(self, request: SandboxRequest) -> ApiError | None:
        token = self._token(request)
        if token is None:
            return ApiError(401, "INVALID_AUTHENTICATION", NO_CREDENTIALS)
        if token not in (self.settings.access_token, self.settings.oauth_access_token):
            return ApiError(
                401, "INVALID_AUTHENTICATION", "The access token provided is invalid, expired or revoked."
            )
        return None

    # -- state -----------------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the reference portal: pipelines, properties and teams; no records, owners or sends."""
        with self._lock:
            self._state.reset()
            self._limiter.reset()

    def snapshot(self) -> dict[str, Any]:
        """The full mutable state, JSON-serialisable (reference data is not included: it never changes)."""
        with self._lock:
            return {
                "format": STATE_FORMAT,
                "portal": self._state.snapshot(),
                "limits": self._limiter.snapshot(),
            }

    def restore(self, state: dict[str, Any]) -> None:
        """Inverse of ``snapshot()``."""
        if state.get("format") != STATE_FORMAT:
            raise ValueError(f"unsupported HubSpot emulator state format {state.get('format')!r}")
        with self._lock:
            self._state.restore(state["portal"])
            self._limiter.restore(state["limits"])

    # -- seeding helpers (no HTTP, no auth, no rate limits) --------------------------------------

    def unique_clash(self, message: str, code: str) -> dict[str, str]:
        """Word unique-value clashes (``{id}``, ``{property}`` filled in) until reset: HubSpot does not
        document the wording, so a client must not depend on it. Raises ValueError for a bad template."""
        try:
            with self._lock:
                self._state.store.set_clash_wording(message, code)
        except (KeyError, IndexError) as exc:
            raise ValueError(f"message: unknown placeholder {exc}; use {{id}} and {{property}}") from None
        return {"message": message, "code": code}

    def send_results(
        self, results: dict[str, str], pending: timedelta | None = None, processing: timedelta | None = None
    ) -> dict[str, Any]:
        """Script transactional sends until reset: the final ``sendResult`` of sends to these addresses
        (``PREVIOUSLY_BOUNCED``, ``INVALID_TO_ADDRESS``, ``BLOCKED_ADDRESS``..., ``CANCELED`` for a canceled
        send; others get ``SENT``), and how long a send stays PENDING, then PROCESSING, on the clock."""
        bad = [f"{k}: {v!r}" for k, v in results.items() if not RESULT.fullmatch(str(v)) or "@" not in k]
        if bad:
            raise ValueError(f"results map addresses to sendResult names such as PREVIOUSLY_BOUNCED: {bad}")
        with self._lock:
            email = self._state.email
            pace = None
            if pending is not None or processing is not None:
                pace = (
                    pending if pending is not None else email.pace[0],
                    processing if processing is not None else email.pace[1],
                )
            email.script(results, pace)
            return {
                "results": dict(email.results),
                "pending_seconds": email.pace[0].total_seconds(),
                "processing_seconds": email.pace[1].total_seconds(),
            }

    def seed_owner(
        self, email: str, first_name: str, last_name: str, teams: list[str], owner_type: str = "PERSON"
    ) -> dict[str, Any]:
        """Add an owner (or update the one with this email) in ``teams`` (by name; the first is primary;
        unknown names become new teams); ``owner_type`` ``QUEUE`` makes a help desk queue. Returns the
        owner as ``crm/v3/owners`` shows it."""
        with self._lock:
            return self._state.owners.seed(email, first_name, last_name, teams, self._state.now(), owner_type)

    def create(
        self, object_type: str, properties: dict[str, Any], associations: list[Any] | None = None
    ) -> dict[str, Any]:
        """Create a record as the API would (same validation), also for read-only types such as
        ``feedback_submissions``, and allowing server-maintained timestamps (``hs_createdate``,
        ``hs_lastmodifieddate``...) to be set. ``associations`` items are either the API's
        ``{"to": {"id"}, "types": [...]}`` or ``(object_type, id)`` for the default association type."""
        with self._lock:
            otype = self._state.object_type(object_type)
            inline = [self._inline(otype.name, item) for item in associations or []]
            write = self._state.prepare_create(otype, properties, inline, trusted=True)
            return object_json(self._state, otype, self._state.apply(write), all_properties=True)

    def _inline(self, from_type: str, item: Any) -> Any:
        """An inline association in the API's shape; ``(type, id)`` means the default association type."""
        if isinstance(item, dict):
            return item
        to_name, to_id = item
        target = self._state.object_type(to_name)
        kind = self._state.associations.kinds.default(from_type, target.name)
        if kind is None:
            raise ValueError(f"no association type from {from_type} to {target.name}")
        return {
            "to": {"id": str(to_id)},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": kind.type_id}],
        }

    def objects(self, object_type: str, include_archived: bool = False) -> list[dict[str, Any]]:
        """Every record of a type with all its properties, in id order (archived ones too if asked)."""
        with self._lock:
            otype = self._state.object_type(object_type)
            records = self._state.store.live(otype)
            if include_archived:
                records = sorted([*records, *self._state.store.archived(otype)], key=lambda r: int(r.id))
            return [object_json(self._state, otype, r, all_properties=True) for r in records]
