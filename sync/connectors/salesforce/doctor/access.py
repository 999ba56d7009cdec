"""Logging in, and the pinned API version (``GET /services/data/`` lists the versions the org serves)."""

from __future__ import annotations

from typing import Any

from simple_salesforce import Salesforce

from sync.connectors.base import AccessRefused, ConnectorError
from sync.connectors.checks import Checks

from .context import OrgContext

LOGIN_FIX = (
    "check salesforce.login_url (the org's My Domain, https://NAME.my.salesforce.com: client credentials "
    "work only there), client_id and the secret or key, and that the connected app's run-as user is active"
)


def check_login(org: OrgContext, out: Checks) -> None:
    """A token from the org's login URL (no API call is spent)."""
    try:
        org.client.call(lambda sf: sf.session_id)
    except AccessRefused as exc:
        out.block("login", f"the org refused the {org.settings.auth} login: {exc}", LOGIN_FIX)
        return
    except ConnectorError as exc:
        out.block("login", f"cannot log in at {org.settings.login_url}: {exc}", LOGIN_FIX)
        return
    out.ok("login", f"{org.settings.auth} login at {org.settings.login_url} works")


def _versions(sf: Salesforce) -> Any:
    return sf._call_salesforce("GET", f"https://{sf.sf_instance}/services/data/").json()


def check_api_version(org: OrgContext, out: Checks) -> None:
    """The pinned ``api_version`` is one the org still serves."""
    answer = org.client.call(_versions)
    served = (
        [str(v.get("version")) for v in answer if isinstance(v, dict)] if isinstance(answer, list) else []
    )
    pinned = org.settings.api_version
    if not served:
        out.warn(
            "api version",
            f"the org did not list its API versions (GET /services/data/ answered {str(answer)[:120]!r})",
            f"make sure the org serves API {pinned}",
        )
    elif pinned not in served:
        newest = max(served, key=float)
        out.block(
            "api version",
            f"the org does not serve API {pinned} (it serves {served[0]} to {newest})",
            f"set salesforce.api_version to a served version, e.g. {newest!r}",
        )
    else:
        out.ok("api version", f"API {pinned} is served (newest {max(served, key=float)})")
