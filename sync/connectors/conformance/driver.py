"""What an adapter's test support implements so the conformance suite can drive it.

A driver owns one CRM (an emulator, a fake, a test org) and the adapter in front of it: it makes and
changes records the adapter polls, moves the CRM's clock, spends its API budget, loses an answer, and
reports what an action wrote in the CRM. The suite never reaches past it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import timedelta
from types import TracebackType
from typing import Any, ClassVar, Literal

from rules.actions.base import Payload
from rules.model import Stream
from sync.connectors.base import Connector, ConnectorSpec, OwedAction

#: What a CRM or adapter may be unable to do; a driver names those it cannot, with the reason.
Feature = Literal["deletions", "late_commits", "lost_answers"]


class ConformanceDriver(ABC):
    """One adapter on one CRM, for the conformance suite. Use it as a context manager.

    ``spec`` declares the adapter (its capabilities are the action kinds tested); ``page_size`` is the
    most records the adapter (as the driver configures it) puts on one page; ``overlap`` how far before
    its cursor each poll re-reads; ``unsupported`` the features it cannot take part in, with the reason.
    """

    spec: ClassVar[ConnectorSpec]
    page_size: ClassVar[int]
    overlap: ClassVar[timedelta] = timedelta(0)
    unsupported: ClassVar[Mapping[Feature, str]] = {}

    def __enter__(self) -> ConformanceDriver:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    @classmethod
    def name(cls) -> str:
        return cls.spec.name

    # -- the adapter -------------------------------------------------------------------------

    @abstractmethod
    def stream(self) -> Stream:
        """The stream to poll, compiled from a configuration file by ``registry.load_config``."""

    @abstractmethod
    def connector(self) -> Connector:
        """A new adapter on this CRM, as a restarted worker would build it."""

    # -- the CRM -----------------------------------------------------------------------------

    @abstractmethod
    def create(self) -> str:
        """A new record the stream polls, modified at the CRM's current time; returns its id."""

    @abstractmethod
    def update(self, record_id: str) -> None:
        """Change a record at the CRM's current time, so its next poll shows a new version."""

    def delete(self, record_id: str) -> None:
        """Delete a record (needed unless ``deletions`` is unsupported)."""
        raise NotImplementedError(f"{self.name()} cannot delete records")

    @abstractmethod
    def advance(self, seconds: float) -> None:
        """Move the CRM's clock (backwards too: a negative move makes a late commit)."""

    @abstractmethod
    def exhaust_budget(self) -> None:
        """Spend the CRM's API budget: from now on it refuses the adapter's calls."""

    def lose_next_answer(self) -> None:
        """Have the CRM carry out the adapter's next write but its answer never arrive (needed unless
        ``lost_answers`` is unsupported)."""
        raise NotImplementedError(f"{self.name()} cannot lose an answer")

    @abstractmethod
    def written(self, action: OwedAction) -> list[Any]:
        """What ``action`` made or changed in the CRM (tasks, posts, emails sent...), one item each."""

    def prepare(self, kind: str, payload: Payload) -> Payload:
        """The kind's example payload (``related_id`` set to a created record) adjusted to what this CRM
        needs: a pipeline that exists, a user to email, an object the adapter may update."""
        return payload

    def close(self) -> None:
        """Release what the driver holds (servers, mocks, temporary files)."""
        return None
