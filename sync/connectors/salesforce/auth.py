"""OAuth 2.0 against the org's login URL: client credentials, or the JWT bearer flow.

The username/password SOAP login is being retired by Salesforce, so it is not offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
import requests

from sync.connectors.base import AccessRefused
from sync.connectors.salesforce.errors import POLICY, error_message
from sync.connectors.salesforce.settings import SalesforceSettings

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class Token:
    access_token: str
    instance_url: str


def fetch_token(settings: SalesforceSettings, session: requests.Session, now: datetime) -> Token:
    """A fresh access token. Refused credentials raise ``AccessRefused``; a 5xx, a 429 or an unreachable
    host a retryable error; an answer of any other shape (HTML, a list, truncated JSON) a clear error."""
    url = settings.login_url.rstrip("/") + "/services/oauth2/token"
    if settings.auth == "jwt":
        assert settings.username and settings.private_key
        claims = {
            "iss": settings.client_id,
            "sub": settings.username,
            "aud": settings.audience,
            "exp": int((now + timedelta(minutes=3)).timestamp()),
        }
        form = {
            "grant_type": JWT_GRANT,
            "assertion": jwt.encode(claims, settings.private_key, algorithm="RS256"),
        }
    else:
        form = {
            "grant_type": "client_credentials",
            "client_id": settings.client_id,
            "client_secret": settings.client_secret or "",
        }
    try:
        response = session.post(url, data=form, timeout=settings.timeout.total.total_seconds())
    except requests.RequestException as exc:
        raise POLICY.error(f"Salesforce login at {url} failed: {type(exc).__name__}: {exc}", 0) from exc
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = response.text
    if status == 429 or status >= 500:
        raise POLICY.error(f"Salesforce login at {url}: HTTP {status}: {error_message(body)}", status)
    if status != 200:
        raise AccessRefused(
            f"Salesforce refused the {settings.auth} login (HTTP {status}): {error_message(body)}"
        )
    token = body.get("access_token") if isinstance(body, dict) else None
    instance = body.get("instance_url") if isinstance(body, dict) else None
    if not isinstance(token, str) or not isinstance(instance, str) or not instance.startswith("http"):
        raise POLICY.error(
            f"Salesforce login at {url} answered 200 without a token: {error_message(body)}", None
        )
    return Token(token, instance)
