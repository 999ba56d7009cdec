"""The HubSpot adapter: polls any CRM object as a stream (its properties plus the related objects, owners
and counts its ``relations`` declare) and delivers tickets, tasks, emails and updates.

Modules: ``adapter`` (entry points), ``settings`` (stream settings), ``client`` (SDK session, retries),
``pacing`` (rate limits, budget), ``api`` (batched calls), ``times`` (timestamps), ``where`` (stream
filters); reading: ``shape`` (what a record carries), ``relations`` (batched resolution), ``lookups``
(owners), ``enrich``, ``polling``, ``recount``; writing: ``delivery`` over ``context``, ``tickets``,
``tasks``, ``emails``, ``updates``, ``outcomes``.

``rules.settings`` imports ``settings`` from this package while it is itself loading (its HubSpot
section holds these stream settings, which extend its ``StreamSettings``). So this module loads
``rules.settings`` first and nothing else: the entry points below load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import rules.settings  # noqa: F401  (see above)

if TYPE_CHECKING:
    from .adapter import build, check_stream
    from .connector import HubSpotConnector
    from .where import WhereError

__all__ = ["HubSpotConnector", "WhereError", "build", "check_stream"]

_HOMES = {"HubSpotConnector": "connector", "WhereError": "where", "build": "adapter", "check_stream": "adapter"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
