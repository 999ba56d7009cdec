"""``SalesforceEmulator``: a stateful, thread-safe emulation of the Salesforce REST API."""

from __future__ import annotations

import re
import threading
from typing import Any

from ..core import Clock, Outbox, SandboxRequest, SandboxResponse, system_clock
from . import org_setup
from .api import DataApi
from .auth import TokenService
from .composite import CompositeResources
from .email_action import EmailSimpleAction
from .errors import SalesforceApiError
from .query import QueryService
from .schema import Schema
from .settings import SalesforceSettings
from .sobjects import SObjectResources
from .store import Record, RecordStore
from .usage import DailyUsage
from .writes import RecordWriter

TOKEN_PATH = "/services/oauth2/token"
DATA_PATH = "/services/data"
_VERSION_RE = re.compile(r"/services/data/v(\d+\.\d+)(/.*)?")
_VERSION_LABELS = {
    "60.0": "Spring '24",
    "61.0": "Summer '24",
    "62.0": "Winter '25",
    "63.0": "Spring '25",
    "64.0": "Summer '25",
    "65.0": "Winter '26",
    "66.0": "Spring '26",
}
#: Standard profiles every org has; the last one runs the integration user.
PROFILES = ("System Administrator", "Standard User", "Minimum Access - API Only Integrations")
_SESSION_EXPIRED = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
_LIMIT_EXCEEDED = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]


class SalesforceEmulator:
    """Answers ``/services/...`` requests from in-memory org state (see ``sandbox/README.md``)."""

    def __init__(
        self, outbox: Outbox, clock: Clock = system_clock, settings: SalesforceSettings | None = None
    ):
        self.outbox = outbox
        self.clock = clock
        self.settings = settings or SalesforceSettings()
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Back to the reference org: no records but the integration user, no tokens, nothing used."""
        with self._lock:
            self.schema = org_setup.with_org_objects(Schema.load())  # undoes alter_field/drop_field
            self.store = RecordStore(self.schema)
            self.writer = RecordWriter(self.schema, self.store, self.clock, self.settings)
            self.tokens = TokenService(self.settings, self.clock)
            self.usage = DailyUsage(self.settings)
            self.query = QueryService(self.schema, self.store, self.clock)
            email = EmailSimpleAction(self.store, self.writer, self.usage, self.outbox, self.clock)
            self.api = DataApi(
                self.writer,
                SObjectResources(self.schema, self.store, self.writer),
                CompositeResources(self.schema, self.store, self.writer),
                self.query,
                email,
                self.usage,
                org=self.settings,
            )
            for name in PROFILES:
                self.writer.create(self.writer.object("Profile"), {"Name": name}, None)
            self.integration_user_id = self._seed_integration_user()
            self._stamp_profiles(self.integration_user_id)
            org_setup.seed_org_wide_addresses(self.settings, self._insert_unlocked)

    def _seed_integration_user(self) -> str:
        return self.writer.create(
            self.writer.object("User"),
            {
                "Username": self.settings.integration_username,
                "FirstName": "Integration",
                "LastName": "User",
                "Email": self.settings.integration_username,
                **self._user_defaults("Integration User", PROFILES[-1]),
            },
            None,
        )

    def _stamp_profiles(self, user_id: str) -> None:
        """The seeded profiles were made before any user: show them as made by the integration user."""
        profile = self.writer.object("Profile")
        for row in self.store.rows(profile):
            self.store.put(profile, {**row, "CreatedById": user_id, "LastModifiedById": user_id})

    def _profile_id(self, name: str) -> str | None:
        rows = self.store.rows(self.writer.object("Profile"))
        return next((str(p["Id"]) for p in rows if p["Name"] == name), None)

    def _user_defaults(self, last_name: str, profile: str = "Standard User") -> dict[str, Any]:
        """What Setup's new-user page fills in and the API requires (Alias, profile, locale keys)."""
        return {
            "Alias": "".join(c for c in last_name.lower() if c.isalnum())[:8] or "user",
            "ProfileId": self._profile_id(profile),
            "TimeZoneSidKey": "America/Los_Angeles",
            "LocaleSidKey": "en_US",
            "EmailEncodingKey": "UTF-8",
            "LanguageLocaleKey": "en_US",
        }

    def handles(self, path: str) -> bool:
        return path == "/services" or path.startswith("/services/")

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        with self._lock:
            path = request.path.rstrip("/")
            if path == TOKEN_PATH:
                return self.tokens.token_endpoint(request, self.integration_user_id, self._user_by_username)
            if path == DATA_PATH:
                return SandboxResponse(
                    200,
                    [
                        {"label": _VERSION_LABELS.get(v, f"v{v}"), "url": f"{DATA_PATH}/v{v}", "version": v}
                        for v in self.settings.api_versions
                    ],
                )
            match = _VERSION_RE.fullmatch(path)
            if match is None:
                return SandboxResponse(404, SalesforceApiError.not_found().body())
            user = self.tokens.user_for(request.headers.get("Authorization"))
            if user is None:
                return SandboxResponse(
                    401, _SESSION_EXPIRED, {"WWW-Authenticate": 'Token realm="Salesforce"'}
                )
            now = self.clock()
            if not self.usage.take_api_call(now):
                return SandboxResponse(
                    403, _LIMIT_EXCEEDED, {"Sforce-Limit-Info": self.usage.limit_info(now)}
                )
            version = match.group(1)
            try:
                if version not in self.settings.api_versions:
                    raise SalesforceApiError.not_found()
                response = self.api.route(request, version, match.group(2) or "", user)
            except SalesforceApiError as error:
                response = SandboxResponse(error.status, error.body())
            response.headers["Sforce-Limit-Info"] = self.usage.limit_info(now)
            return response

    def _user_by_username(self, username: str) -> Record | None:
        user = self.schema.get("User")
        assert user is not None
        wanted = username.casefold()
        return next((u for u in self.store.rows(user) if str(u["Username"]).casefold() == wanted), None)

    def snapshot(self) -> dict[str, Any]:
        """The whole org state as JSON-serialisable data (records, id counters, usage, tokens, cursors)."""
        with self._lock:
            return {
                "store": self.store.to_state(),
                "tokens": {k: dict(v) for k, v in self.tokens.tokens.items()},
                "usage": self.usage.to_state(),
                "query": self.query.to_state(),
                "integration_user_id": self.integration_user_id,
            }

    def restore(self, state: dict[str, Any]) -> None:
        """Replace the org state with one taken by ``snapshot``."""
        with self._lock:
            self.reset()
            self.store.load_state(state["store"])
            self.tokens.tokens = {k: dict(v) for k, v in state["tokens"].items()}
            self.usage.load_state(state["usage"])
            self.query.load_state(state["query"])
            self.integration_user_id = state["integration_user_id"]

    def insert(self, sobject: str, fields: dict[str, Any]) -> str:
        """Create a record as the integration user, with the API's validation and stamping; returns its Id.

        A User given without the fields the API requires of a new user (Alias, ProfileId, the locale
        keys) gets Setup's defaults, as an admin creating the user in Setup would. Raises
        ``SalesforceApiError`` when Salesforce would reject the record.
        """
        with self._lock:
            if sobject.lower() == "user":
                fields = {**self._user_defaults(str(fields.get("LastName") or "user")), **fields}
            return self.writer.create(self.writer.object(sobject), fields, self.integration_user_id)

    def race_upserts(self, times: int = 1) -> None:
        """The next ``times`` upserts by external id lose a race to a concurrent upsert of the same id:
        the other inserts first and this one answers DUPLICATE_VALUE."""
        with self._lock:
            self.writer.races = times

    def _insert_unlocked(self, sobject: str, fields: dict[str, Any]) -> str:
        return self.writer.create(self.writer.object(sobject), fields, self.integration_user_id)

    def alter_field(self, sobject: str, field: str, **changes: Any) -> None:
        """Change one field's definition (``unique=False``...) until the next ``reset``."""
        with self._lock:
            self.schema.put(org_setup.altered(self.writer.object(sobject), field, **changes))

    def drop_field(self, sobject: str, field: str) -> None:
        """Remove one field from the org until the next ``reset`` (its stored values stay unreadable)."""
        with self._lock:
            self.schema.put(org_setup.altered(self.writer.object(sobject), field, drop=True))

    def records(self, sobject: str, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Copies of the stored records of ``sobject`` (canonical field names, wire-format values)."""
        with self._lock:
            return [dict(r) for r in self.store.rows(self.writer.object(sobject), include_deleted)]

    def issue_token(self) -> str:
        """A valid access token for the integration user, without the OAuth dance."""
        with self._lock:
            return self.tokens.issue(self.integration_user_id)[0]
