"""Per-input results of HubSpot batch writes (207 Multi-Status) as per-action delivery results."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.connectors.base import DeliveryResult, OwedAction

from .errors import POLICY

Results = dict[str, DeliveryResult]


def input_errors(answer: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{objectWriteTraceId: error entry}`` from a batch answer's ``errors``."""
    found: dict[str, dict[str, Any]] = {}
    for entry in answer.get("errors", []):
        traces = entry.get("context", {}).get("objectWriteTraceId", [])
        for trace in [traces] if isinstance(traces, str) else traces:
            found[str(trace)] = entry
    return found


def failure(action: OwedAction, entry: Mapping[str, Any]) -> DeliveryResult:
    category = str(entry.get("category") or "ERROR")
    error = POLICY.error(f"HubSpot {category}: {entry.get('message', '')}", None, category)
    return DeliveryResult.of_error(action.key, error)


def unconfirmed(action: OwedAction, what: str) -> DeliveryResult:
    """HubSpot answered without a result or an error for this input."""
    return DeliveryResult.failed(action.key, f"HubSpot did not confirm the {what}")
