"""Posting to chat incoming webhooks (Slack, Teams), with the CRM calls' retry table.

A 429 is a refusal (nothing was posted), so the post is repeated after the ``Retry-After`` the service
asks for, within the limits of :mod:`sync.connectors.errors`; a 5xx or a dropped connection fails the
action, which the ledger retries with its backoff. A webhook takes no idempotency key: a retry after an
answer lost on the way back (a timeout, a 5xx after the message was posted) can post the message twice.
A webhook that is gone (404, 410) or refuses the message (400, 403) is dead at once, with the answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests

from rules.actions.email import ChatPayload, Notify
from rules.settings import Settings
from sync.connectors.base import Clock, ConnectorError, DeliveryResult, OwedAction
from sync.connectors.errors import ErrorPolicy, ErrorRule, Verdict, again_or_error, call_with_retries

from .base import ChannelSpec

POLICY = ErrorPolicy(rules=(ErrorRule(Verdict.REJECT, statuses={400, 401, 403, 404, 410}),))

Body = Callable[[ChatPayload], dict[str, Any]]


def _retry_after(headers: Mapping[str, str]) -> float | None:
    try:
        return float(headers["Retry-After"])
    except (KeyError, ValueError):
        return None


class WebhookOutlet:
    """Posts each owed chat message to its room's webhook URL."""

    def __init__(
        self,
        service: str,
        rooms: Mapping[str, str],
        body: Body,
        timeout: float,
        verify: str | bool = True,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = service
        self.rooms = dict(rooms)
        self.body = body
        self.timeout = timeout
        self.sleep = sleep
        self.verify = verify  # per request: a session's own would lose to REQUESTS_CA_BUNDLE
        self.session = requests.Session()

    def deliver(self, actions: Sequence[OwedAction]) -> list[DeliveryResult]:
        return [self._post(action) for action in actions]

    def _post(self, action: OwedAction) -> DeliveryResult:
        payload = action.payload_as(ChatPayload)
        url = self.rooms.get(payload.room)
        if url is None:
            return DeliveryResult.failed(
                action.key,
                f"no {self.name} webhook for room {payload.room!r} in chat.{self.name}",
                retryable=False,
            )
        body = self.body(payload)

        def attempt() -> requests.Response:
            try:
                response = self.session.post(url, json=body, timeout=self.timeout, verify=self.verify)
            except requests.RequestException as exc:
                raise again_or_error(
                    POLICY.error(f"{self.name} webhook: {type(exc).__name__}", 0), False, None
                ) from exc
            if response.status_code >= 300:
                wait = _retry_after(response.headers)
                text = response.text[:300].strip()
                error = POLICY.error(
                    f"{self.name} webhook answered {response.status_code}: {text}",
                    response.status_code,
                    None,
                    wait,
                )
                raise again_or_error(error, False, wait)
            return response

        try:
            response = call_with_retries(attempt, self.sleep)
        except ConnectorError as exc:
            return DeliveryResult.of_error(action.key, exc)
        return DeliveryResult.delivered(
            action.key, response.headers.get("X-Message-Id") or f"{self.name}:{payload.room}"
        )

    def close(self) -> None:
        self.session.close()


def webhook_spec(name: str, body: Body) -> ChannelSpec:
    """The channel of a chat service whose rooms are incoming webhooks (``chat.<name>`` in the config),
    posting ``body(payload)`` for each ``notify``."""

    def build(settings: Settings, clock: Clock) -> WebhookOutlet:
        assert settings.chat is not None
        chat = settings.chat
        verify: str | bool = chat.ca_bundle or True
        return WebhookOutlet(name, chat.rooms(name), body, chat.timeout.total.total_seconds(), verify)

    return ChannelSpec(
        name=name,
        kinds=frozenset({Notify.name}),
        configured=lambda settings: bool(settings.chat and settings.chat.rooms(name)),
        build=build,
    )
