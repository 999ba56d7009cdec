"""Daily allocations (API requests, single and workflow emails) that reset at midnight UTC."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from .settings import SalesforceSettings


@dataclass
class _Counters:
    day: str = ""
    api: int = 0
    single_email: int = 0
    workflow_email: int = 0


class DailyUsage:
    """Counts what was used today (by the injected clock) against the settings' maxima."""

    def __init__(self, settings: SalesforceSettings) -> None:
        self.settings = settings
        self.counters = _Counters()

    def _today(self, now: datetime) -> _Counters:
        day = now.astimezone(UTC).date().isoformat()
        if self.counters.day != day:
            self.counters = _Counters(day=day)
        return self.counters

    def take_api_call(self, now: datetime) -> bool:
        """Count one API request; False (and not counted) when today's budget is spent."""
        counters = self._today(now)
        if counters.api >= self.settings.daily_api_budget:
            return False
        counters.api += 1
        return True

    def limit_info(self, now: datetime) -> str:
        """The ``Sforce-Limit-Info`` header value."""
        return f"api-usage={self._today(now).api}/{self.settings.daily_api_budget}"

    def take_emails(self, now: datetime, single: bool, recipients: int) -> bool:
        """Count one email: its recipients against SingleEmail, or one against DailyWorkflowEmails."""
        counters = self._today(now)
        if single:
            if counters.single_email + recipients > self.settings.single_email_daily_limit:
                return False
            counters.single_email += recipients
            return True
        if counters.workflow_email + 1 > self.settings.workflow_email_daily_limit:
            return False
        counters.workflow_email += 1
        return True

    def limits(self, now: datetime) -> dict[str, Any]:
        """The ``/limits`` resource body."""
        counters = self._today(now)
        settings = self.settings

        def entry(maximum: int, used: int) -> dict[str, int]:
            return {"Max": maximum, "Remaining": max(maximum - used, 0)}

        return {
            "DailyApiRequests": entry(settings.daily_api_budget, counters.api),
            "SingleEmail": entry(settings.single_email_daily_limit, counters.single_email),
            "DailyWorkflowEmails": entry(settings.workflow_email_daily_limit, counters.workflow_email),
            "MassEmail": entry(5000, 0),
        }

    def to_state(self) -> dict[str, Any]:
        return asdict(self.counters)

    def load_state(self, state: dict[str, Any]) -> None:
        self.counters = _Counters(**state)
