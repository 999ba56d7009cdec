"""The hubspot-api-client session: API objects built once, a timeout on every call, retries and pacing.

Calls go through the SDK's generated methods with plain-dict bodies and ``_preload_content=False``, so
every answer comes back as JSON (with its rate-limit headers) rather than as SDK models. Each SDK
sub-package raises its own ``ApiException`` class, so failures are classified by their ``status``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import urllib3
from hubspot import HubSpot
from urllib3.util.retry import Retry

from sync.connectors.base import AccessRefused, CrmUnavailable
from sync.connectors.errors import Again, ErrorRule, PolicyError, Verdict, again_or_error, call_with_retries

from .errors import LOCKED_WAIT_S, POLICY, category, message
from .pacing import Monotonic, Pacer, Sleep
from .settings import HubSpotSettings

log = logging.getLogger(__name__)

LIMIT_RETRIES = 5  # 429s after the first


class RateLimited(CrmUnavailable):
    """HubSpot kept answering 429 after the waits its limits ask for."""


#: 429s: the request was refused, so repeating it is always safe; past these tries the cycle stops.
LIMITED = ErrorRule(Verdict.RETRY, statuses={429}, tries=LIMIT_RETRIES + 1, refused=True)


class RequestFailed(PolicyError):
    """HubSpot refused one request (a 4xx other than auth and limits), decided by the retry table."""

    def __init__(self, status: int, message: str, body: Mapping[str, Any], rule: ErrorRule) -> None:
        super().__init__(f"HubSpot {status}: {message}", rule)
        self.status = status
        self.body = body


def _json(raw: Any) -> dict[str, Any]:
    """A response body as a JSON object (an empty body is ``{}``; anything else becomes a message)."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    return parsed if isinstance(parsed, dict) else {"message": str(raw)[:500]}


def _retry_after(headers: Mapping[str, str]) -> float | None:
    try:
        return float(headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def raw(api_client: Any, method: str, path: str) -> Callable[..., Any]:
    """An SDK-style method for an endpoint the SDK has no method for (a send's status, date-versioned
    paths): the SDK's own ``call_api`` (its host, token, TLS and pool), for :meth:`HubSpotClient.call`."""

    def call(
        body: Any = None,
        *,
        _preload_content: bool,
        _request_timeout: float | None,
        **query: Any,
    ) -> Any:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        params = [(name, value) for name, value in query.items() if value is not None]
        return api_client.call_api(
            path,
            method,
            {},
            params,
            headers,
            body=body,
            auth_settings=["oauth2"],
            response_types_map={},
            _return_http_data_only=True,
            _preload_content=_preload_content,
            _request_timeout=_request_timeout,
        )

    return call


class HubSpotClient:
    """One configured SDK client; :meth:`call` runs an SDK method with pacing, retries and classification."""

    def __init__(
        self, settings: HubSpotSettings, sleep: Sleep = time.sleep, clock: Monotonic = time.monotonic
    ) -> None:
        sdk = HubSpot(
            access_token=settings.access_token,
            host=settings.base_url.rstrip("/"),
            base_url=settings.base_url.rstrip("/"),
            ssl_ca_cert=settings.ca_bundle or None,
            retry=Retry(total=0, raise_on_status=False),  # retries are ours: urllib3's skip POST
        )
        # Each attribute access builds a new configuration and connection pool: take them once.
        self.search_api = sdk.crm.objects.search_api
        self.batch_api = sdk.crm.objects.batch_api
        self.associations_api = sdk.crm.associations.v4.batch_api
        self.owners_api = sdk.crm.owners.owners_api
        self.pipelines_api = sdk.crm.pipelines.pipelines_api
        self.email_api = sdk.marketing.transactional.single_send_api
        self.timeout = settings.timeout.total.total_seconds()
        self.sleep = sleep
        self.pacer = Pacer(settings.search_requests_per_second, settings.max_daily_usage, sleep, clock)
        self.server_time: datetime | None = None  # the ``Date`` of the latest answer: HubSpot's clock
        self.calls = 0

    def close(self) -> None:
        for api in (
            self.search_api,
            self.batch_api,
            self.associations_api,
            self.owners_api,
            self.pipelines_api,
            self.email_api,
        ):
            api.api_client.rest_client.pool_manager.clear()

    def call(
        self,
        method: Callable[..., Any],
        *args: Any,
        search: bool = False,
        idempotent: bool = True,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The JSON answer of ``method(*args, **kwargs)``, failures decided by the retry table.

        429: waits as ``policyName``/``Retry-After`` say (``DAILY`` raises BudgetExhausted; limits that
        persist raise RateLimited: nothing is lost). 423, 5xx and connection failures: repeated with
        backoff (the last two only when ``idempotent``: a create may have happened). 401/403:
        AccessRefused. Other 4xx: :class:`RequestFailed`, rejected or failed as the table says.
        """
        return call_with_retries(lambda: self._attempt(method, args, kwargs, search, idempotent), self.sleep)

    def _attempt(
        self,
        method: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        search: bool,
        idempotent: bool,
    ) -> dict[str, Any]:
        self.pacer.before(search)
        self.server_time = None
        self.calls += 1
        try:
            response = method(*args, _preload_content=False, _request_timeout=self.timeout, **kwargs)
            body = _json(response.data)
            headers = response.headers
            response.release_conn()
        except urllib3.exceptions.HTTPError as exc:
            status, body, headers, problem = 0, {}, {}, f"connection failed: {exc}"
        except Exception as exc:
            code = getattr(exc, "status", None)  # any sub-package's ApiException
            if not isinstance(code, int):
                raise
            status = code
            body, headers = _json(getattr(exc, "body", None)), getattr(exc, "headers", None) or {}
            problem = f"{status} {body.get('message') or getattr(exc, 'reason', '')}".strip()
        else:
            self._observe_date(headers)
            if not search:
                self.pacer.observe(headers)
            return body
        self._observe_date(headers)
        if not search:
            self.pacer.observe(headers)
        if (status in (401, 403) and category(body) != "MISSING_SCOPES") or status == 401:
            raise AccessRefused(
                f"HubSpot refused the access token ({problem}): check hubspot.access_token and the "
                "private app's scopes"
            )
        if status == 429:
            wait = self._limit_wait(body, headers, search)
            log.info("HubSpot answered %s; retrying in %.1fs", problem, wait)
            raise Again(
                RateLimited(f"HubSpot rate limit: {problem}", retry_after=timedelta(seconds=wait)),
                wait,
                LIMITED,
            )
        if status == 0 or status >= 500 or status == 423:
            error = POLICY.error(f"HubSpot unavailable: {problem}", status)
            log.info("HubSpot answered %s", problem)
            raise again_or_error(error, idempotent, LOCKED_WAIT_S if status == 423 else None)
        rule = POLICY.classify(status, category(body))
        raise RequestFailed(status, message(body, problem), body, rule)

    def _observe_date(self, headers: Mapping[str, str]) -> None:
        """Keep the server's time from the ``Date`` header (RFC 9110); an absent or bad one is ignored."""
        stamp = headers.get("Date") if headers else None
        if not stamp:
            return
        try:
            moment = parsedate_to_datetime(stamp)
        except (TypeError, ValueError, IndexError):
            return
        if moment.tzinfo is not None:
            self.server_time = moment

    def _limit_wait(self, body: Mapping[str, Any], headers: Mapping[str, str], search: bool) -> float:
        """Seconds to wait after a 429; raises BudgetExhausted for the daily limit."""
        policy = body.get("policyName")
        if policy == "DAILY":
            raise self.pacer.exhaust(f"HubSpot's daily API limit is reached: {body.get('message', '')}")
        after = _retry_after(headers)
        if after is not None:
            return after
        if policy == "TEN_SECONDLY_ROLLING" or (policy != "SECONDLY" and not search):
            return self.pacer.burst_interval  # the rolling window has passed by then
        return 1.0
