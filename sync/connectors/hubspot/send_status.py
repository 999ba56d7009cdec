"""Transactional sends are queued: a send answers ``PENDING`` with a ``statusId``, and the email's fate
(``sendResult``: ``SENT``, ``PREVIOUSLY_BOUNCED``, ``INVALID_TO_ADDRESS``, ``BLOCKED_*``...) shows later
at ``marketing/v3/email/send-statuses/{statusId}`` (HubSpot's published spec, Marketing/Transactional
Single Send v3). There is no batch status read: each delivery reads at most
``hubspot.status_checks_per_cycle`` statuses, those checked longest ago first, so a burst of sends is
confirmed over a few cycles, never with a call per email per cycle.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sync.connectors.base import Confirmation, ConnectorError, CrmUnavailable, SentAction

from .api import HubSpotApi

log = logging.getLogger(__name__)

#: Final results meaning the email went out. ``IDEMPOTENT_IGNORE``: a send with this ``sendId`` was made
#: before (a retry after a lost answer), so this one was not needed.
SENT = frozenset({"SENT", "IDEMPOTENT_IGNORE"})
#: Results that are not final yet.
WAITING = frozenset({"QUEUED"})
#: Why a send did not go out, for the results a person can act on (any other result is named as it is).
REASONS = {
    "PREVIOUSLY_BOUNCED": "the address bounced before: HubSpot no longer sends to it",
    "INVALID_TO_ADDRESS": "the recipient address is invalid",
    "BLOCKED_DOMAIN": "the recipient's domain is blocked",
    "BLOCKED_ADDRESS": "the recipient address is blocked",
    "PREVIOUS_SPAM": "the recipient marked an earlier email as spam",
    "PREVIOUSLY_UNSUBSCRIBED_MESSAGE": "the recipient unsubscribed from this email",
    "PREVIOUSLY_UNSUBSCRIBED_PORTAL": "the recipient unsubscribed from all email of this portal",
    "INVALID_FROM_ADDRESS": "the sender address is invalid",
    "IDEMPOTENT_FAIL": "an earlier send with this sendId failed",
    "MISSING_TEMPLATE_PROPERTIES": "the transactional email uses properties the send did not give",
    "UNDELIVERABLE": "the email could not be delivered",
}


def reason(view: Mapping[str, Any]) -> str:
    """Why HubSpot did not send an email, from its status view."""
    result = str(view.get("sendResult") or "")
    if view.get("status") == "CANCELED":
        return f"HubSpot canceled the send{f' ({result})' if result else ''}"
    explained = REASONS.get(result)
    return f"HubSpot did not send it: {result or 'no sendResult'}" + (f" ({explained})" if explained else "")


def final(view: Mapping[str, Any]) -> tuple[bool, str | None] | None:
    """``(went out, why not)`` from a status view, or ``None`` while the send is under way."""
    status, result = view.get("status"), view.get("sendResult")
    if status == "CANCELED":
        return False, reason(view)
    if status != "COMPLETE" or result in WAITING:
        return None
    if result in SENT:
        return True, None
    return False, reason(view)


def confirm(
    api: HubSpotApi, sent: Sequence[SentAction], now: datetime, timeout: timedelta
) -> list[Confirmation]:
    """Read each send's status (one call a send: HubSpot has no batch read); answer the final ones and
    those still under way after ``timeout``. Stops early, keeping what it learnt, when HubSpot takes no
    more calls now."""
    answers: list[Confirmation] = []
    for item in sent:
        waited = now - item.sent_at
        if not item.crm_id:
            answers.append(
                Confirmation(item.key, "unconfirmed", "HubSpot answered the send without a statusId")
            )
            continue
        try:
            view = api.send_status(item.crm_id)
        except CrmUnavailable as exc:
            log.info("send status checks stopped: %s", exc)
            break
        except ConnectorError as exc:  # e.g. a status HubSpot no longer knows
            if waited >= timeout:
                answers.append(Confirmation(item.key, "unconfirmed", f"no final status ({exc})"))
            continue
        outcome = final(view)
        if outcome is not None:
            sent_out, why = outcome
            answers.append(Confirmation(item.key, "delivered" if sent_out else "dead", why))
        elif waited >= timeout:
            answers.append(
                Confirmation(
                    item.key,
                    "unconfirmed",
                    f"HubSpot gave no final status in {timeout} (still {view.get('status') or 'unknown'}, "
                    f"statusId {item.crm_id})",
                )
            )
    return answers
