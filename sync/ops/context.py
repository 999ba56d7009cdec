"""The run id of the cycle in progress, put on every log line written while it runs."""

from __future__ import annotations

from contextvars import ContextVar

current_run: ContextVar[str | None] = ContextVar("crm_sync_run", default=None)
