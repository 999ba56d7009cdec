"""The ``salesforce`` section of the configuration."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from rules.durations import Duration
from rules.model import RuleSet
from rules.settings import ConnectionSettings, DurationField

#: Salesforce's generic login hosts: the JWT bearer audience, never a client-credentials login host.
GENERIC_LOGIN_HOSTS = {"production": "login.salesforce.com", "sandbox": "test.salesforce.com"}
MY_DOMAIN_FIX = (
    "client credentials only work against the org's My Domain URL: set salesforce.login_url to "
    "https://NAME.my.salesforce.com (a sandbox org: https://NAME--SANDBOX.sandbox.my.salesforce.com; "
    "Setup > My Domain shows it)"
)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def jwt_audience_problem(audience: str, org_type: str) -> str | None:
    """Why ``audience`` cannot be a JWT bearer ``aud`` for an org of ``org_type``, or None.

    Salesforce takes https://login.salesforce.com (production), https://test.salesforce.com (sandbox)
    or an Experience Cloud site URL; never the org's My Domain or instance host."""
    parts = urlsplit(audience)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host:
        return f"jwt_audience {audience!r} is not an https URL"
    if host in GENERIC_LOGIN_HOSTS.values():
        expected = GENERIC_LOGIN_HOSTS[org_type]
        if host != expected or parts.path.strip("/"):
            return f"jwt_audience for a {org_type} org is https://{expected}, not {audience}"
        return None
    if host.endswith((".salesforce.com", ".force.com")):
        return (
            f"jwt_audience {audience} is an org host: the audience is https://{GENERIC_LOGIN_HOSTS[org_type]} "
            "(or an Experience Cloud site URL), never the My Domain URL"
        )
    return None


class SalesforceSettings(ConnectionSettings):
    login_url: str
    auth: Literal["client_credentials", "jwt"] = "client_credentials"
    #: production or sandbox: the default JWT audience (login.salesforce.com or test.salesforce.com).
    org_type: Literal["production", "sandbox"] = "production"
    client_id: str
    client_secret: str | None = None
    username: str | None = None
    private_key: str | None = None
    jwt_audience: str | None = None
    api_version: str = Field(default="62.0", pattern=r"^\d{2,3}\.0$")
    ca_bundle: str | None = None
    timeout: DurationField = Duration(seconds=30)
    overlap: DurationField = Duration(seconds=600)
    max_api_usage: float = Field(default=0.9, gt=0, le=1)
    query_batch_size: int = Field(default=2000, ge=200, le=2000)
    email_batch_size: int = Field(default=100, ge=1, le=200)

    @model_validator(mode="after")
    def _auth_fields(self) -> SalesforceSettings:
        if self.auth == "client_credentials" and not self.client_secret:
            raise ValueError("auth client_credentials needs client_secret (or client_secret_file)")
        if self.auth == "jwt" and not (self.username and self.private_key):
            raise ValueError("auth jwt needs username and private_key (or private_key_file)")
        if self.auth == "client_credentials" and _host(self.login_url) in GENERIC_LOGIN_HOSTS.values():
            raise ValueError(f"login_url {self.login_url} is a generic login host: {MY_DOMAIN_FIX}")
        if self.auth == "jwt" and self.jwt_audience:
            problem = jwt_audience_problem(self.jwt_audience, self.org_type)
            if problem:
                raise ValueError(problem)
        return self

    @property
    def audience(self) -> str:
        """The JWT bearer ``aud``: ``jwt_audience`` (an Experience Cloud site) or the generic login URL of
        the org's type."""
        return (self.jwt_audience or f"https://{GENERIC_LOGIN_HOSTS[self.org_type]}").rstrip("/")


def record_url(settings: ConnectionSettings, sobject: str, id_field: str) -> str | None:
    """The Lightning record page under the org's My Domain URL (it redirects there)."""
    login_url = getattr(settings, "login_url", "")
    if login_url.startswith("https://"):
        return f"{login_url.rstrip('/')}/lightning/r/{sobject}/{{{{ record.{id_field} }}}}/view"
    return None


def salesforce_settings(ruleset: RuleSet) -> SalesforceSettings | None:
    """The ``salesforce`` section of a rule set, if it has one."""
    settings = ruleset.settings.connection("salesforce")
    return settings if isinstance(settings, SalesforceSettings) else None
