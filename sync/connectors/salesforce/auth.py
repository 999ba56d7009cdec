"""OAuth 2.0 against the org's login URL: client credentials, or the JWT bearer flow.

The username/password SOAP login is being retired by Salesforce, so it is not offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
import requests

from sync.connectors.base import AccessRefused, ConnectorError
from sync.connectors.salesforce.settings import SalesforceSettings

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class Token:
    access_token: str
    instance_url: str


def fetch_token(settings: SalesforceSettings, session: requests.Session, now: datetime) -> Token:
    """A fresh access token; raises a non-retryable ``ConnectorError`` when the credentials are refused."""
    url = settings.login_url.rstrip("/") + "/services/oauth2/token"
    if settings.auth == "jwt":
        assert settings.username and settings.private_key
        claims = {
            "iss": settings.client_id,
            "sub": settings.username,
            "aud": settings.jwt_audience or settings.login_url.rstrip("/"),
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
        raise ConnectorError(f"Salesforce login at {url} failed: {exc}") from exc
    if response.status_code >= 500:
        raise ConnectorError(f"Salesforce login at {url}: HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or "access_token" not in body:
        reason = body.get("error_description") or body.get("error") or response.text[:200]
        raise AccessRefused(f"Salesforce refused the {settings.auth} login: {reason}")
    return Token(body["access_token"], body["instance_url"])
