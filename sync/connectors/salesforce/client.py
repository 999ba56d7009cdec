"""One Salesforce REST session: simple-salesforce on the real paths, with what it lacks added around it.

- a timeout on every call and the org's CA bundle (``REQUESTS_CA_BUNDLE`` cannot override it);
- on 401 ``INVALID_SESSION_ID`` a new token is fetched once and the call replayed once, never recursively;
- the server's clock (HTTP ``Date``) and API usage (``Sforce-Limit-Info``) are read from every response,
  and calls stop (``BudgetExhausted``) before crm-sync pushes the org past ``max_api_usage``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

from sync.connectors.base import AccessRefused, BudgetExhausted, ConnectorError
from sync.connectors.salesforce.auth import Token, fetch_token
from sync.connectors.salesforce.settings import SalesforceSettings

T = TypeVar("T")
_USAGE_RE = re.compile(r"api-usage=(\d+)/(\d+)")
RETRYABLE_CODES = frozenset(
    {"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "REQUEST_RUNNING_TOO_LONG", "QUERY_TIMEOUT"}
)


class _TimeoutAdapter(HTTPAdapter):
    def __init__(self, timeout: float) -> None:
        super().__init__(max_retries=0)
        self.timeout = timeout

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def error_code(content: Any) -> str | None:
    """The ``errorCode`` of a Salesforce error body (a list of ``{message, errorCode, fields}``)."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return content[0].get("errorCode") or content[0].get("statusCode")
    return None


def error_message(content: Any) -> str:
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return "; ".join(f"{e.get('errorCode') or e.get('statusCode')}: {e.get('message')}" for e in content)
    return str(content)[:500]


class SalesforceClient:
    """A logged-in simple-salesforce client that re-authenticates once per expired session."""

    def __init__(self, settings: SalesforceSettings, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self.clock = clock
        self.session = requests.Session()
        if settings.ca_bundle:
            self.session.verify = settings.ca_bundle
            self.session.trust_env = False  # else REQUESTS_CA_BUNDLE would override verify
        adapter = _TimeoutAdapter(settings.timeout.total.total_seconds())
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.hooks["response"].append(self._observe)
        self.server_time: datetime | None = None
        self.api_used: int | None = None
        self.api_max: int | None = None
        self.calls = 0
        self._sf: Salesforce | None = None

    # -- observation -----------------------------------------------------------------------------

    def _observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.calls += 1
        date = response.headers.get("Date")
        if date:
            with contextlib.suppress(TypeError, ValueError):
                self.server_time = parsedate_to_datetime(date).astimezone(UTC)
        match = _USAGE_RE.search(response.headers.get("Sforce-Limit-Info", ""))
        if match:
            self.api_used, self.api_max = int(match.group(1)), int(match.group(2))

    def check_budget(self) -> None:
        """Raise ``BudgetExhausted`` once the org's daily API usage reaches the configured share."""
        if self.api_used is None or not self.api_max:
            return
        if self.api_used >= self.api_max * self.settings.max_api_usage:
            raise BudgetExhausted(
                f"Salesforce API usage {self.api_used}/{self.api_max} reached the configured "
                f"max_api_usage of {self.settings.max_api_usage:.0%}; resuming when the org's usage drops"
            )

    # -- calls -----------------------------------------------------------------------------------

    def _login(self) -> Salesforce:
        token: Token = fetch_token(self.settings, self.session, self.clock())
        self._sf = Salesforce(
            instance_url=token.instance_url,
            session_id=token.access_token,
            version=self.settings.api_version,
            session=self.session,
        )
        return self._sf

    def call(self, operation: Callable[[Salesforce], T]) -> T:
        """Run one API operation; re-login and replay once on an expired session; map errors."""
        self.check_budget()
        sf = self._sf or self._login()
        try:
            try:
                return operation(sf)
            except SalesforceExpiredSession:
                return operation(self._login())
        except SalesforceExpiredSession as exc:
            raise AccessRefused("Salesforce rejected a freshly issued session") from exc
        except SalesforceError as exc:
            code = error_code(exc.content)
            if exc.status == 403 and code == "REQUEST_LIMIT_EXCEEDED":
                raise BudgetExhausted(f"Salesforce: {error_message(exc.content)}") from exc
            retryable = exc.status >= 500 or code in RETRYABLE_CODES
            raise ConnectorError(f"Salesforce {exc.status}: {error_message(exc.content)}", retryable) from exc
        except requests.RequestException as exc:
            raise ConnectorError(f"Salesforce unreachable: {type(exc).__name__}: {exc}") from exc

    def refresh_budget(self) -> None:
        """After the budget check stopped calls, re-read the org's usage once (``/limits``): the daily
        allocation recovers over time, and a long-running daemon must notice."""
        if (
            self.api_used is None
            or not self.api_max
            or self.api_used < self.api_max * self.settings.max_api_usage
        ):
            return
        self.api_used = None
        self.call(lambda sf: sf.restful("limits"))

    def server_now(self) -> datetime:
        """The org's clock, read from the last response (one cheap call if none was made yet)."""
        if self.server_time is None:
            self.call(lambda sf: sf.restful("limits"))
        assert self.server_time is not None
        return self.server_time

    def close(self) -> None:
        self.session.close()
