"""One Salesforce REST session: simple-salesforce on the real paths, with what it lacks added around it.

- a timeout on every call and the org's CA bundle (``REQUESTS_CA_BUNDLE`` cannot override it);
- on 401 ``INVALID_SESSION_ID`` a new token is fetched once and the call replayed once, never recursively;
- the server's clock (HTTP ``Date``) and API usage (``Sforce-Limit-Info``) are read from every response,
  and calls stop (``BudgetExhausted``) before crm-sync pushes the org past ``max_api_usage``;
- every failure is decided by the retry table (:mod:`sync.connectors.salesforce.errors`): transient
  ones are repeated within the call (honouring ``Retry-After``) when repeating cannot duplicate a write.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

from sync.connectors.base import AccessRefused, BudgetExhausted
from sync.connectors.errors import PolicyError, again_or_error, call_with_retries
from sync.connectors.salesforce.auth import Token, fetch_token
from sync.connectors.salesforce.errors import POLICY, error_code, error_message
from sync.connectors.salesforce.settings import SalesforceSettings

T = TypeVar("T")
_USAGE_RE = re.compile(r"api-usage=(\d+)/(\d+)")


class _TimeoutAdapter(HTTPAdapter):
    def __init__(self, timeout: float) -> None:
        super().__init__(max_retries=0)
        self.timeout = timeout

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


class SalesforceClient:
    """A logged-in simple-salesforce client that re-authenticates once per expired session."""

    def __init__(
        self,
        settings: SalesforceSettings,
        clock: Callable[[], datetime],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.sleep = sleep
        self._retry_after: float | None = None
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
        self._retry_after = _seconds(response.headers.get("Retry-After"), self.clock())
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

    def call(self, operation: Callable[[Salesforce], T], idempotent: bool = True) -> T:
        """Run one API operation; re-login and replay once on an expired session; failures decided by the
        retry table (a non-``idempotent`` operation is repeated only when the org refused it)."""
        return call_with_retries(lambda: self._attempt(operation, idempotent), self.sleep)

    def _attempt(self, operation: Callable[[Salesforce], T], idempotent: bool) -> T:
        self.check_budget()
        self._retry_after = None
        try:
            sf = self._sf or self._login()
            try:
                return operation(sf)
            except SalesforceExpiredSession:
                return operation(self._login())
        except SalesforceExpiredSession as exc:
            raise AccessRefused("Salesforce rejected a freshly issued session") from exc
        except PolicyError as exc:  # the login: asking for a token again is always safe
            raise again_or_error(exc, True, self._retry_after) from exc
        except SalesforceError as exc:
            code = error_code(exc.content)
            error = POLICY.error(
                f"Salesforce {exc.status}: {error_message(exc.content)}", exc.status, code, self._retry_after
            )
            if code == "REQUEST_LIMIT_EXCEEDED":
                error = BudgetExhausted(str(error), retry_after=error.retry_after)
            raise again_or_error(error, idempotent, self._retry_after) from exc
        except requests.exceptions.JSONDecodeError as exc:  # a proxy's page where JSON was due
            error = POLICY.error(f"Salesforce answered with a body that is not JSON: {exc}", 502)
            raise again_or_error(error, idempotent, None) from exc
        except requests.RequestException as exc:
            error = POLICY.error(f"Salesforce unreachable: {type(exc).__name__}: {exc}", 0)
            raise again_or_error(error, idempotent, None) from exc

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


def _seconds(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` in seconds (the HTTP-date form counts from now)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    with contextlib.suppress(TypeError, ValueError):
        return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
    return None
