"""The HubSpot adapter: polls any CRM object as a stream (its properties plus the related objects, owners
and counts its ``relations`` declare) and delivers tickets, tasks, emails and updates.

Modules: ``adapter`` (the spec: entry points), ``settings`` (the section and its streams), ``client``
(SDK session, retries), ``errors`` (the retry table), ``pacing`` (rate limits, budget), ``api`` (batched
calls), ``times`` (timestamps), ``where`` (stream filters); reading: ``shape`` (what a record carries),
``relations`` (batched resolution), ``lookups`` (owners), ``enrich``, ``polling``, ``recount``; writing:
``delivery`` over ``context``, ``tickets``, ``tasks``, ``emails``, ``updates``, ``outcomes``.
"""

from __future__ import annotations

from .adapter import SPEC, check_stream
from .connector import HubSpotConnector
from .where import WhereError

__all__ = ["SPEC", "HubSpotConnector", "WhereError", "check_stream"]
