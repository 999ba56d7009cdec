"""The ``salesforce`` section of the configuration."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from rules.durations import Duration
from rules.model import RuleSet
from rules.settings import ConnectionSettings, DurationField


class SalesforceSettings(ConnectionSettings):
    login_url: str
    auth: Literal["client_credentials", "jwt"] = "client_credentials"
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
        return self


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
