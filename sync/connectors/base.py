"""The contract between the engine and a CRM adapter.

An adapter polls a stream page by page (each page carries the cursor that resumes after it) and
delivers owed actions in batches, answering one :class:`DeliveryResult` per action. It never touches the
store: the engine commits each page with its cursor, and delivery records each result.

Each adapter package declares itself with one :class:`ConnectorSpec` (its settings section, the action
kinds it carries out, its stream check and its factory), listed in :mod:`sync.connectors.registry`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from rules.actions.base import Payload
from rules.model import RuleSet, Stream
from rules.settings import ConnectionSettings
from sync.connectors.checks import CheckResult

T = TypeVar("T")
P = TypeVar("P", bound=Payload)


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size`` (a CRM's batch limit)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class Page:
    """Records changed since the cursor (plain dicts), ids deleted since, and the cursor after them."""

    records: list[dict[str, Any]] = field(default_factory=list)
    deleted_ids: list[str] = field(default_factory=list)
    cursor: Any = None


@dataclass(frozen=True)
class OwedAction:
    """An action the ledger says is owed, as delivery hands it to an adapter."""

    key: str
    external_id: str
    kind: str
    record_id: str
    payload: Payload
    attempts: int
    tried: bool = False  # attempted before with no known outcome: check for an earlier write first

    def payload_as(self, kind: type[P]) -> P:
        """The payload as the type its kind plans (an adapter's handler expects one type)."""
        if not isinstance(self.payload, kind):
            raise TypeError(f"{self.key}: a {self.kind} action carries {type(self.payload).__name__}")
        return self.payload


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one action: delivered (with the CRM id), sent (accepted by a CRM that finishes
    it later: ``crm_id`` is what to ask about it, see :class:`SendTracker`), failed, or deferred (not
    attempted)."""

    key: str
    status: Literal["delivered", "sent", "failed", "deferred"]
    crm_id: str | None = None
    error: str | None = None
    retryable: bool = True
    retry_after: timedelta | None = None
    give_up_after: int | None = None  # attempts after which a retryable failure is dead anyway

    @classmethod
    def delivered(cls, key: str, crm_id: str | None) -> DeliveryResult:
        return cls(key, "delivered", crm_id=crm_id)

    @classmethod
    def sent(cls, key: str, crm_id: str | None) -> DeliveryResult:
        """Accepted, not yet done: its final status is asked for later under ``crm_id``."""
        return cls(key, "sent", crm_id=crm_id)

    @classmethod
    def failed(
        cls,
        key: str,
        error: str,
        retryable: bool = True,
        retry_after: timedelta | None = None,
        give_up_after: int | None = None,
    ) -> DeliveryResult:
        return cls(
            key,
            "failed",
            error=error,
            retryable=retryable,
            retry_after=retry_after,
            give_up_after=give_up_after,
        )

    @classmethod
    def of_error(cls, key: str, error: ConnectorError) -> DeliveryResult:
        """The result of an action whose call failed with ``error`` (deferred if the CRM is unavailable)."""
        if isinstance(error, CrmUnavailable):
            return cls.deferred(key, str(error), error.retry_after)
        return cls.failed(key, str(error), error.retryable, error.retry_after, error.give_up_after)

    @classmethod
    def deferred(cls, key: str, reason: str, retry_after: timedelta | None = None) -> DeliveryResult:
        return cls(key, "deferred", error=reason, retry_after=retry_after)


class ConnectorError(Exception):
    """A CRM call failed; ``retryable`` says whether trying again later can help (and ``give_up_after``
    how many attempts it is worth, for a failure nobody foresaw)."""

    def __init__(
        self,
        message: str,
        retryable: bool = True,
        retry_after: timedelta | None = None,
        give_up_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.give_up_after = give_up_after


class CrmUnavailable(ConnectorError):
    """Stop calling this CRM for the rest of the cycle; nothing is lost: what is owed stays owed,
    without counting an attempt, and is offered again later."""


class BudgetExhausted(CrmUnavailable):
    """The CRM's API budget is (nearly) spent."""


class AccessRefused(CrmUnavailable):
    """The CRM refuses our credentials or session (a rotated secret, a deactivated integration user)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=True)


@dataclass(frozen=True)
class SentAction:
    """An action the CRM accepted but has not finished (ledger status ``sent``)."""

    key: str
    kind: str
    external_id: str
    crm_id: str | None  # what the CRM answered to ask about it (HubSpot: the send's statusId)
    sent_at: datetime


@dataclass(frozen=True)
class Confirmation:
    """The final status of a sent action: delivered, dead (the CRM says it failed, with why) or
    unconfirmed (no final status came in the time allowed)."""

    key: str
    status: Literal["delivered", "dead", "unconfirmed"]
    error: str | None = None


@runtime_checkable
class SendTracker(Protocol):
    """An adapter whose writes finish after their answer (HubSpot's transactional sends are queued).

    At the start of each delivery the engine hands it the ``status_checks_per_cycle`` sent actions
    checked longest ago; it answers a :class:`Confirmation` for those that are final (or waited too
    long) and nothing for those still under way, which are offered again in a later cycle."""

    status_checks_per_cycle: int

    def confirm(self, sent: Sequence[SentAction], now: datetime) -> list[Confirmation]: ...


StoredSnapshots = Callable[[Sequence[str]], Mapping[str, Mapping[str, Any]]]
"""The snapshots the store holds for these record ids (live ones only): lets an adapter skip the
costly part of reading a record (related objects) that it has already handed over unchanged."""


class Connector(Protocol):
    name: str

    def poll(self, stream: Stream, cursor: Any, stored: StoredSnapshots | None = None) -> Iterator[Page]:
        """Pages of changes after ``cursor`` (``None`` on the first run). An adapter may leave out a
        record whose own modification time equals the one in its ``stored`` snapshot (the overlap
        re-read): the engine would find it unchanged anyway."""
        ...

    def reread(self, stream: Stream, ids: Sequence[str]) -> Page:
        """The current version of these records and everything their fields reach, read in batches
        (never a call per record), for timers that are due; ids no longer in the CRM come back in
        ``deleted_ids``. The page's cursor is unused."""
        ...

    def deliver(self, actions: Sequence[OwedAction]) -> list[DeliveryResult]:
        """Carry out a batch of actions (of the kinds the spec declares); one result per action."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class TeamDirectory(Protocol):
    """An adapter that reads the CRM's teams (for ``team`` and ``round_robin`` roles)."""

    def teams(self) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        """``{team name: [{id, email, name, active, ...}]}``, members in a stable order."""
        ...


@dataclass(frozen=True)
class ApiUsage:
    """An adapter's API calls so far and the calls its CRM still allows today (``None``: not known yet);
    the budget left counts down to the configured share (``max_api_usage``, ``max_daily_usage``)."""

    calls: int
    budget_left: int | None = None


@runtime_checkable
class UsageReporter(Protocol):
    """An adapter that counts its API calls (for the cycle's log line and ``/metrics``)."""

    def usage(self) -> ApiUsage: ...


Clock = Callable[[], datetime]


@dataclass(frozen=True)
class ConnectorSpec:
    """Everything the rest of crm-sync knows about one CRM adapter.

    ``name`` is its configuration section and the first part of its stream names; ``settings`` the
    section's model; ``capabilities`` the action kinds it carries out (``validate`` refuses others);
    ``check_stream`` raises ``ValueError`` for a stream it cannot poll; ``build`` makes the adapter;
    ``checks`` are its preflight checks against the live CRM (``crm-sync doctor``): every object, field,
    permission and setting the configured streams and rules need, as :class:`CheckResult` lines;
    ``email_channel`` is where its rules' emails go by default when an ``email:`` section exists.
    """

    name: str
    settings: type[ConnectionSettings]
    capabilities: frozenset[str]
    build: Callable[[ConnectionSettings, RuleSet, Clock], Connector]
    check_stream: Callable[[Stream], None] | None = None
    id_field: str = "id"
    has_teams: bool = False
    record_url: Callable[[ConnectionSettings, str, str], str | None] | None = None
    checks: Callable[[ConnectionSettings, RuleSet], Sequence[CheckResult]] | None = None
    email_channel: str = "crm"  # where emails go by default when an ``email:`` section exists
