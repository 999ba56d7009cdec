"""OAuth 2.0 token endpoint (client credentials and JWT bearer) and bearer-token sessions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

import jwt

from ..core import SandboxRequest, SandboxResponse
from .ids import ORG_ID
from .settings import SalesforceSettings
from .store import Record

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
UserLookup = Callable[[str], Record | None]


class OAuthError(Exception):
    """A token-endpoint failure: HTTP 400 ``{"error", "error_description"}``."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def _form(request: SandboxRequest) -> dict[str, str]:
    fields = {k: v[0] for k, v in request.query.items() if v}
    if request.body:
        fields.update({k: v[0] for k, v in parse_qs(request.body.decode(errors="replace")).items() if v})
    return fields


def _basic_credentials(request: SandboxRequest) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode()
    except ValueError:
        return None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


#: The generic login hosts: a JWT audience, never a host for the client credentials flow.
GENERIC_HOSTS = {"production": "login.salesforce.com", "sandbox": "test.salesforce.com"}


def _audience_ok(audience: Any, settings: SalesforceSettings) -> bool:
    """Salesforce takes https://login.salesforce.com (production org), https://test.salesforce.com
    (sandbox org) or an Experience Cloud site URL as ``aud``; the org's own host is refused."""
    allowed = {f"https://{GENERIC_HOSTS.get(settings.org_type, GENERIC_HOSTS['production'])}"}
    allowed |= {site.rstrip("/") for site in settings.experience_sites}
    audiences = audience if isinstance(audience, list) else [audience]
    return any(isinstance(aud, str) and aud.rstrip("/") in allowed for aud in audiences)


class TokenService:
    """Issues access tokens that expire ``token_ttl_seconds`` after issue by the injected clock."""

    def __init__(self, settings: SalesforceSettings, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self.clock = clock
        self.tokens: dict[str, dict[str, Any]] = {}

    def issue(self, user_id: str) -> tuple[str, int]:
        """A new token acting as ``user_id`` and its issue time in epoch milliseconds."""
        issued = self.clock().timestamp()
        token = f"{ORG_ID[:15]}!{secrets.token_urlsafe(48)}"
        self.tokens[token] = {"user_id": user_id, "expires_at": issued + self.settings.token_ttl_seconds}
        return token, int(issued * 1000)

    def user_for(self, authorization: str | None) -> str | None:
        """The user id behind an ``Authorization: Bearer`` header, or None if missing, unknown or expired."""
        if not authorization or not authorization.lower().startswith(("bearer ", "oauth ")):
            return None
        session = self.tokens.get(authorization.split(None, 1)[1].strip())
        if session is None or self.clock().timestamp() >= session["expires_at"]:
            return None
        return str(session["user_id"])

    def token_endpoint(
        self, request: SandboxRequest, integration_user: str, find_user: UserLookup
    ) -> SandboxResponse:
        """``POST /services/oauth2/token``."""
        try:
            if request.method != "POST":
                raise OAuthError("invalid_request", "must use HTTP POST")
            form = _form(request)
            grant = form.get("grant_type")
            host = request.headers.get("Host") or "localhost"
            if grant == "client_credentials":
                if host.split(":")[0].lower() in GENERIC_HOSTS.values():
                    raise OAuthError("invalid_grant", "request not supported on this domain")
                user_id = self._client_credentials(request, form, integration_user)
            elif grant == JWT_GRANT:
                user_id = self._jwt_bearer(form.get("assertion", ""), find_user)
            else:
                raise OAuthError("unsupported_grant_type", "grant type not supported")
        except OAuthError as failure:
            return SandboxResponse(400, {"error": failure.error, "error_description": failure.description})
        token, issued_ms = self.issue(user_id)
        identity = f"https://{host}/id/{ORG_ID}/{user_id}"
        signature = hmac.new(
            self.settings.client_secret.encode(), f"{identity}{issued_ms}".encode(), hashlib.sha256
        ).digest()
        return SandboxResponse(
            200,
            {
                "access_token": token,
                "signature": base64.b64encode(signature).decode(),
                "scope": "api",
                "instance_url": f"https://{host}",
                "id": identity,
                "token_type": "Bearer",
                "issued_at": str(issued_ms),
                "token_format": "opaque",
            },
        )

    def _client_credentials(
        self, request: SandboxRequest, form: dict[str, str], integration_user: str
    ) -> str:
        client_id, secret = _basic_credentials(request) or (form.get("client_id"), form.get("client_secret"))
        if client_id != self.settings.client_id or secret != self.settings.client_secret:
            raise OAuthError("invalid_client", "invalid client credentials")
        return integration_user

    def _jwt_bearer(self, assertion: str, find_user: UserLookup) -> str:
        key = self.settings.jwt_public_key_pem
        try:
            if key:
                claims = jwt.decode(
                    assertion,
                    key,
                    algorithms=["RS256"],
                    options={
                        "verify_exp": False,
                        "verify_aud": False,
                        "verify_iat": False,
                        "verify_nbf": False,
                    },
                )
            else:
                claims = jwt.decode(assertion, options={"verify_signature": False})
            expires = float(claims["exp"])
        except (jwt.PyJWTError, KeyError, TypeError, ValueError):
            raise OAuthError("invalid_grant", "invalid assertion") from None
        if claims.get("iss") != self.settings.client_id:
            raise OAuthError("invalid_client", "client identifier invalid")
        if not _audience_ok(claims.get("aud"), self.settings):
            raise OAuthError("invalid_grant", "audience is invalid")
        if expires <= self.clock().timestamp():
            raise OAuthError("invalid_grant", "invalid assertion")
        user = find_user(str(claims.get("sub", "")))
        if user is None:
            raise OAuthError("invalid_grant", "user hasn't approved this consumer")
        if not user["IsActive"]:
            raise OAuthError("invalid_grant", "inactive user")
        return str(user["Id"])
