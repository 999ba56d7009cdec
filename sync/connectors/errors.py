"""Retry policy as a table: what a CRM's answer means, decided in one place for every call and action.

Each adapter writes its table (status and error code → verdict) with :class:`ErrorRule` rows; the first
row that matches decides, and :data:`DEFAULT_RULES` closes every table, so an answer nobody foresaw is
still decided sensibly:

========  =======================================================================================
verdict   meaning
========  =======================================================================================
retry     transient (a 5xx, a lock, a timeout, a refused connection, a 429): the call is repeated
          after the wait the CRM asks for (``Retry-After``) or a growing one, a few times, when
          repeating it cannot duplicate a write; then the action fails and is retried later
defer     the CRM takes no calls now (API budget, a daily allowance, refused credentials): stop
          calling it this cycle; what is owed stays owed without counting an attempt
fail      this request failed for a reason the table does not know (an unknown 4xx): the action is
          retried on later cycles, at most ``give_up_after`` attempts, then dead
reject    the request can never succeed as sent (validation, a deleted record): dead at once, with
          the CRM's message (``crm-sync retry --dead`` re-queues it after a fix)
========  =======================================================================================

The in-call repetition uses tenacity (:func:`call_with_retries`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type

from sync.connectors.base import ConnectorError, CrmUnavailable

T = TypeVar("T")

#: Attempts an action whose failure the table does not know gets before it is dead.
UNKNOWN_FAILURE_ATTEMPTS = 3
#: The longest wait inside one call; a CRM asking for longer is deferred to a later cycle instead.
MAX_WAIT_IN_CALL = 60.0


class Verdict(StrEnum):
    RETRY = "retry"
    DEFER = "defer"
    FAIL = "fail"
    REJECT = "reject"


@dataclass(frozen=True, eq=False)
class ErrorRule:
    """One row: answers with one of ``statuses`` (any when ``None``) and one of ``codes`` (any when
    ``None``) get ``verdict``. ``tries`` bounds the calls made for a ``retry`` verdict (the first
    included); ``refused`` says the CRM did nothing (a 429), so even a create may be repeated."""

    verdict: Verdict
    statuses: Collection[int] | None = None
    codes: Collection[str] | None = None
    tries: int = 3
    refused: bool = False
    retry_after: timedelta | None = None  # for ``defer``: when to offer the action again

    def matches(self, status: int | None, code: str | None) -> bool:
        if self.statuses is not None and status not in self.statuses:
            return False
        return self.codes is None or code in self.codes


#: Closes every table: connection failures, 429 and 5xx are transient, any other 4xx is a failure
#: retried a few times.
DEFAULT_RULES: tuple[ErrorRule, ...] = (
    ErrorRule(Verdict.RETRY, statuses={0}, tries=4),
    ErrorRule(Verdict.RETRY, statuses={429}, tries=6, refused=True),
    ErrorRule(Verdict.RETRY, statuses=range(500, 600), tries=4),
    ErrorRule(Verdict.FAIL),
)


@dataclass(frozen=True)
class ErrorPolicy:
    """A CRM's table; :meth:`classify` gives the first matching row."""

    rules: tuple[ErrorRule, ...]

    def classify(self, status: int | None, code: str | None = None) -> ErrorRule:
        for rule in (*self.rules, *DEFAULT_RULES):
            if rule.matches(status, code):
                return rule
        raise AssertionError("DEFAULT_RULES end with a catch-all")  # pragma: no cover

    def error(
        self, message: str, status: int | None, code: str | None = None, retry_after: float | None = None
    ) -> ConnectorError:
        """The exception for an answer: ``CrmUnavailable`` to defer, else a ``ConnectorError`` whose
        ``retryable``/``give_up_after`` carry the verdict to the ledger."""
        rule = self.classify(status, code)
        after = timedelta(seconds=retry_after) if retry_after is not None else rule.retry_after
        if rule.verdict is Verdict.DEFER:
            return CrmUnavailable(message, retry_after=after)
        return PolicyError(message, rule, after)


class PolicyError(ConnectorError):
    """A failed call, with the table row that decided what it means."""

    def __init__(self, message: str, rule: ErrorRule, retry_after: timedelta | None = None) -> None:
        super().__init__(
            message,
            retryable=rule.verdict is not Verdict.REJECT,
            retry_after=retry_after,
            give_up_after=UNKNOWN_FAILURE_ATTEMPTS if rule.verdict is Verdict.FAIL else None,
        )
        self.rule = rule


class Again(Exception):
    """Raised inside an attempt: the call may be made again after ``wait`` seconds."""

    def __init__(self, error: ConnectorError, wait: float | None, rule: ErrorRule) -> None:
        super().__init__(str(error))
        self.error = error
        self.wait = wait
        self.rule = rule


def again_or_error(error: ConnectorError, idempotent: bool, retry_after: float | None) -> Exception:
    """What an attempt raises: :class:`Again` when repeating the call is safe and worth it, else the
    error itself (a create whose outcome is unknown is never repeated within the call: the next attempt
    first looks for what it may have written)."""
    if not isinstance(error, PolicyError):
        return error
    rule = error.rule
    if rule.verdict is not Verdict.RETRY or not (idempotent or rule.refused):
        return error
    if retry_after is not None and retry_after > MAX_WAIT_IN_CALL:
        return CrmUnavailable(
            f"{error} (asked to wait {retry_after:.0f}s)", retry_after=timedelta(seconds=retry_after)
        )
    return Again(error, retry_after, rule)


def _backoff(attempt: int) -> float:
    return min(MAX_WAIT_IN_CALL, float(2 ** (attempt - 1)))


def call_with_retries(attempt: Callable[[], T], sleep: Callable[[float], None]) -> T:
    """Run ``attempt`` until it returns, raises something other than :class:`Again`, or its rule's
    tries are spent (then the underlying error is raised)."""
    tries: Counter[int] = Counter()  # by rule (rows hold sets: counted by identity)

    def stop(state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        if not isinstance(exc, Again):
            return True
        tries[id(exc.rule)] += 1
        return tries[id(exc.rule)] >= exc.rule.tries

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = exc.wait if isinstance(exc, Again) else None
        return asked if asked is not None else _backoff(state.attempt_number)

    retrying = Retrying(retry=retry_if_exception_type(Again), stop=stop, wait=wait, sleep=sleep, reraise=True)
    try:
        for try_ in retrying:
            with try_:
                return attempt()
    except Again as exc:
        raise exc.error from exc
    raise AssertionError("unreachable")  # pragma: no cover
