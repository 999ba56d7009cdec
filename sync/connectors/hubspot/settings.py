"""The ``hubspot`` section of the configuration."""

from __future__ import annotations

from pydantic import Field

from rules.durations import Duration
from rules.settings import ConnectionSettings, DurationField


class HubSpotSettings(ConnectionSettings):
    base_url: str = "https://api.hubapi.com"
    access_token: str
    ca_bundle: str | None = None
    timeout: DurationField = Duration(seconds=30)
    # Each poll re-reads this much before its cursor: the search index lags behind writes.
    overlap: DurationField = Duration(seconds=600)
    # The search API's own limit is 5 requests per second per account.
    search_requests_per_second: float = Field(default=4.0, gt=0, le=5)
    # Stop calling (BudgetExhausted) once this share of the daily API limit is used.
    max_daily_usage: float = Field(default=0.9, gt=0, le=1)
    # The transactional email (a template with {{ custom.subject }}, body, html) every send uses.
    transactional_email_id: int = Field(default=0, ge=0)
