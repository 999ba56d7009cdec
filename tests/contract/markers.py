"""The contract suite's pytest plugin: every test names its source, and live runs skip what they cannot do.

* Collection fails (``pytest.UsageError``) for a contract test without ``@pytest.mark.documented("source")``
  or ``@pytest.mark.guessed("what is unknown")``, with both, or with an empty argument.
* A test that uses the ``backdoor`` fixture is marked ``backdoor``; in a live run it is skipped, and so is a
  test of a CRM that is not configured (see ``tests.contract.live``).
* The terminal summary ends with the counts of documented and guessed tests.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.contract.live import HUBSPOT_TOKEN, SALESFORCE_VARS, LiveTarget

PLUGIN_NAME = "crm-sync-contract-suite"
SOURCE_MARKERS = ("documented", "guessed")
BACKDOOR_MARKER = "backdoor: needs the sandbox's back door (emulator-side seeding, limits, the outbox)"
BACKDOOR_REASON = (
    "needs the sandbox's back door (emulator-side seeding, shrunk limits or the sent-mail outbox); "
    "not run against a live org or portal"
)
CRM_FIXTURES = {"salesforce": {"sf", "sf_login", "sf_call"}, "hubspot": {"hs", "hs_call"}}
CRM_VARS = {"salesforce": ", ".join(SALESFORCE_VARS), "hubspot": HUBSPOT_TOKEN}


def source_problem(item: pytest.Item) -> str | None:
    """Why ``item`` does not say where its behaviour comes from, or ``None`` when it does."""
    marks = [m for name in SOURCE_MARKERS for m in item.iter_markers(name)]
    names = {m.name for m in marks}
    if not marks:
        return 'has neither @pytest.mark.documented("source") nor @pytest.mark.guessed("what is unknown")'
    if len(names) > 1:
        return "is marked both documented and guessed"
    for mark in marks:
        text = mark.args[0] if len(mark.args) == 1 and not mark.kwargs else None
        if not isinstance(text, str) or not text.strip():
            what = "its source (a URL or document name)" if mark.name == "documented" else "what is unknown"
            return f"@pytest.mark.{mark.name} needs one non-empty string: {what}"
    return None


def crms_of(item: pytest.Item) -> set[str]:
    """The CRMs a test talks to: from its module name (``test_salesforce_*``) and its fixtures."""
    fixtures = set(getattr(item, "fixturenames", ()))
    crms = {crm for crm, names in CRM_FIXTURES.items() if fixtures & names}
    crms |= {crm for crm in CRM_FIXTURES if item.path.name.startswith(f"test_{crm}")}
    return crms


class ContractSuite:
    """Registered by the contract suite's conftest for the tests under ``root``."""

    def __init__(self, root: Path, target: LiveTarget) -> None:
        self.root = root.resolve()
        self.target = target
        self.counts: Counter[str] = Counter()

    def _mine(self, items: list[pytest.Item]) -> list[pytest.Item]:
        return [item for item in items if self.root in item.path.resolve().parents]

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        mine = self._mine(items)
        problems = [f"  {item.nodeid}: {problem}" for item in mine if (problem := source_problem(item))]
        if problems:
            raise pytest.UsageError(
                "contract tests must name the source of the behaviour they check:\n" + "\n".join(problems)
            )
        self.counts = Counter()
        for item in mine:
            if "backdoor" in getattr(item, "fixturenames", ()) and item.get_closest_marker("backdoor") is None:
                item.add_marker(pytest.mark.backdoor)
            self.counts[next(m.name for m in item.iter_markers() if m.name in SOURCE_MARKERS)] += 1
            if item.get_closest_marker("backdoor") is not None:
                self.counts["backdoor"] += 1
            if self.target.active:
                self._skip_if_not_live(item)

    def _skip_if_not_live(self, item: pytest.Item) -> None:
        if item.get_closest_marker("backdoor") is not None:
            item.add_marker(pytest.mark.skip(reason=BACKDOOR_REASON))
            return
        for crm in sorted(crms_of(item)):
            if not self.target.covers(crm):
                item.add_marker(pytest.mark.skip(reason=f"{crm} is not live in this run: set {CRM_VARS[crm]}"))
                return

    def summary(self) -> str | None:
        """The closing line: counts of documented and guessed tests (and where they ran)."""
        if not self.counts:
            return None
        where = "the served sandbox"
        if self.target.active:
            systems = [
                f"Salesforce {self.target.salesforce.login_url}" if self.target.salesforce else None,
                f"HubSpot {self.target.hubspot.base_url}" if self.target.hubspot else None,
            ]
            where = "live: " + ", ".join(s for s in systems if s)
        return (
            f"contract tests ({where}): {self.counts['documented']} documented, {self.counts['guessed']} guessed, "
            f"{self.counts['backdoor']} using the sandbox's back door"
        )

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        line = self.summary()
        if line is not None:
            terminalreporter.write_sep("-", "contract suite")
            terminalreporter.write_line(line)
