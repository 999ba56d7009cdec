"""The conformance driver of the in-memory fake (tests/fakes.py), registered as a ``fake`` CRM."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any, ClassVar

from rules.actions.registry import kinds
from rules.model import RuleSet, Stream
from rules.settings import ConnectionSettings
from sync.connectors.base import Clock, Connector, ConnectorSpec, OwedAction
from sync.connectors.conformance import ConformanceDriver, Feature
from sync.connectors.registry import registered
from tests.conformance.drivers.config import load_stream
from tests.fakes import FakeCRM

CONFIG = """
fake:
  streams:
    items:
      object: Item
      fields: [Name, Status]
"""


def build(settings: ConnectionSettings, ruleset: RuleSet, clock: Clock) -> FakeCRM:
    return FakeCRM(name="fake")


SPEC = ConnectorSpec(
    name="fake", settings=ConnectionSettings, capabilities=frozenset(kinds()), build=build, id_field="Id"
)


class FakeDriver(ConformanceDriver):
    """FakeCRM is both the CRM and its adapter: every "new adapter" is the same object."""

    spec = SPEC
    page_size = 5
    unsupported: ClassVar[Mapping[Feature, str]] = {
        "late_commits": "its cursor is a version counter: nothing commits late"
    }

    def __init__(self) -> None:
        self.crm = FakeCRM(name="fake", page_size=self.page_size)
        with registered(SPEC):
            _, self._stream = load_stream(CONFIG, "fake.items")
        self._numbers = itertools.count(1)

    def stream(self) -> Stream:
        return self._stream

    def connector(self) -> Connector:
        return self.crm

    def create(self) -> str:
        record_id = f"item-{next(self._numbers)}"
        self.crm.put(self._stream.name, {"Id": record_id, "Name": record_id, "Status": "Open"})
        return record_id

    def update(self, record_id: str) -> None:
        self.crm.update(self._stream.name, record_id, Status=f"Changed {next(self._numbers)}")

    def delete(self, record_id: str) -> None:
        self.crm.delete(self._stream.name, record_id)

    def advance(self, seconds: float) -> None:
        """No clock: the version counter orders every change."""

    def exhaust_budget(self) -> None:
        self.crm.budget_left = 0

    def lose_next_answer(self) -> None:
        self.crm.lose_answers += 1

    def written(self, action: OwedAction) -> list[Any]:
        write = self.crm.writes.get(action.external_id)
        return [write] if write is not None else []
