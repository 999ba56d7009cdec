"""Email prerequisites: the org's deliverability, a verified sender, and the SingleEmail allowance.

Salesforce has no REST resource for Setup > Deliverability. The documented way to ask is Apex's
``Messaging.reserveSingleEmailCapacity``, which throws ``NoAccessException`` ("The organization is not
permitted to send email") when the org may not send: the check runs it through the Tooling API's
``executeAnonymous`` (it reserves nothing past that call and sends nothing). That needs the "Author Apex"
permission; without it the check is a warning naming the setting to look at.
"""

from __future__ import annotations

from typing import Any

from rules.actions.email import Notify, SendEmail
from sync.connectors.base import ConnectorError
from sync.connectors.checks import Checks

from .context import OrgContext

PROBE = "Messaging.reserveSingleEmailCapacity(1);"
DELIVERABILITY_FIX = "in Setup > Deliverability, set 'Access level' to 'All email'"
SENDER_FIX = (
    "verify the integration user's email address (Salesforce sends only from verified addresses), or "
    "add a verified org-wide email address in Setup > Organization-Wide Addresses"
)
SMALL_ALLOWANCE = 100  # developer and trial orgs allow 15-50 recipients a day


def _sends_email(org: OrgContext) -> bool:
    return any(org.uses(SendEmail.name, Notify.name))


def check_deliverability(org: OrgContext, out: Checks) -> None:
    if not _sends_email(org):
        return
    name = "email deliverability"
    try:
        answer = org.rest("tooling/executeAnonymous", anonymousBody=PROBE)
    except ConnectorError as exc:
        out.warn(
            name,
            f"cannot be read through the Tooling API ({exc})",
            f"check it yourself: {DELIVERABILITY_FIX}",
        )
        return
    result: dict[str, Any] = answer if isinstance(answer, dict) else {}
    if result.get("success"):
        out.ok(name, "the org may send email (deliverability allows it)")
        return
    problem = str(result.get("exceptionMessage") or result.get("compileProblem") or answer)
    if "NoAccessException" in problem or "not permitted to send email" in problem:
        out.block(name, f"the org may not send email: {problem}", DELIVERABILITY_FIX)
    else:
        out.warn(
            name, f"the probe did not answer clearly: {problem}", f"check it yourself: {DELIVERABILITY_FIX}"
        )


def check_sender(org: OrgContext, out: Checks) -> None:
    """crm-sync sends as the integration user; Salesforce sends only from verified addresses."""
    if not _sends_email(org):
        return
    name = "email sender"
    try:
        rows = org.client.call(
            lambda sf: sf.query("SELECT Address, IsVerified FROM OrgWideEmailAddress")["records"]
        )
    except ConnectorError as exc:
        out.warn(name, f"org-wide email addresses cannot be read ({exc})", SENDER_FIX)
        return
    verified = [str(r["Address"]) for r in rows if r.get("IsVerified")]
    if verified:
        out.ok(name, f"verified org-wide address(es): {', '.join(verified)}")
    elif rows:
        unverified = ", ".join(str(r["Address"]) for r in rows)
        out.warn(name, f"no org-wide address is verified ({unverified})", SENDER_FIX)
    else:
        out.warn(name, "the org has no org-wide email address", SENDER_FIX)


def check_single_email(org: OrgContext, out: Checks) -> None:
    """Logged emails count against the org's SingleEmail allowance (``/limits``)."""
    if not _sends_email(org):
        return
    name = "email allowance"
    limits = org.rest("limits")
    entry = limits.get("SingleEmail") if isinstance(limits, dict) else None
    if not isinstance(entry, dict):
        out.warn(
            name,
            "/limits does not report SingleEmail",
            "give the integration user 'View Setup and Configuration' so crm-sync can see the allowance",
        )
        return
    maximum, remaining = int(entry.get("Max", 0)), int(entry.get("Remaining", 0))
    if maximum == 0:
        out.block(name, "the org allows no single emails", "ask Salesforce support to enable single email")
    elif remaining == 0:
        out.warn(
            name,
            f"today's SingleEmail allowance ({maximum}) is spent: emails wait until midnight GMT",
            "nothing to fix if this is a one-off; otherwise ask Salesforce for a higher allowance",
        )
    elif maximum < SMALL_ALLOWANCE:
        out.warn(
            name,
            f"the org allows only {maximum} single-email recipients a day (a trial or developer org?)",
            "run against a production or sandbox org, or expect emails to wait for the next day",
        )
    else:
        out.ok(name, f"SingleEmail: {remaining} of {maximum} recipients left today")
