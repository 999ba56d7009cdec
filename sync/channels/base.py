"""What a channel declares (:class:`ChannelSpec`) and what delivery needs from it (:class:`Outlet`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from rules.settings import Settings
from sync.connectors.base import Clock, DeliveryResult, OwedAction
from sync.connectors.checks import CheckResult


class Outlet(Protocol):
    """A delivery target: carries out a batch of owed actions, one result per action."""

    def deliver(self, actions: Sequence[OwedAction]) -> list[DeliveryResult]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ChannelSpec:
    """One channel: ``name`` is the ledger target rules resolve to (``channel: NAME``); ``configured``
    says whether the settings give it what it needs; ``build`` makes its outlet; ``checks`` are its
    preflight lines for ``crm-sync doctor``."""

    name: str
    kinds: frozenset[str]
    configured: Callable[[Settings], bool]
    build: Callable[[Settings, Clock], Outlet]
    checks: Callable[[Settings], Sequence[CheckResult]] | None = None
