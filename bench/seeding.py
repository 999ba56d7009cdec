"""The benchmark's data, seeded into the emulators with ``sandbox.seeds`` (runs in the sandbox host).

One org and portal per host: the SLI roles held by distinct users (``seed_people``), and five analysts,
three managers and three BPAs in HubSpot. Records are spread over a window ending at the clock's
current time (the clock walks through it), so ids, creation and modification times are all distinct.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sandbox.app import Sandbox
from sandbox.clock import MovableClock
from sandbox.seeds.hubspot import Portal
from sandbox.seeds.salesforce import insert_sli, seed_people

STATUSES = ("Orange", "Yellow", "Green", "Red")


class BenchOrg:
    """The people both processes need, and numbered records around them."""

    def __init__(self, sandbox: Sandbox, clock: MovableClock) -> None:
        self.sandbox = sandbox
        self.clock = clock
        self.people, self.refs = seed_people(sandbox.salesforce)
        self.portal = Portal(sandbox.hubspot)
        self.analysts = [self.portal.analyst(f"Ana{i}") for i in range(5)]
        for i in range(3):
            self.portal.owner(["Customer Success Managers"], f"Man{i}", "Ager", "manager")
            self.portal.owner(["BPA"], f"Bea{i}", "Pea", "bpa")
        self.slis = 0
        self.responses = 0

    def _walk(self, n: int, spread: timedelta) -> Iterator[int]:
        """``0..n-1``, moving the clock from ``now - spread`` back up to ``now`` on the way."""
        end = self.clock.now
        step = spread / max(n, 1)
        self.clock.now = end - spread
        for i in range(n):
            self.clock.now += step
            yield i
        self.clock.now = end

    def seed_slis(self, n: int, spread: timedelta) -> dict[str, int]:
        """``n`` SLIs of the reference process: mostly well named, a quarter without a referral."""
        for i in self._walk(n, spread):
            number = self.slis + i
            fields: dict[str, Any] = {
                "Name": f"Client {number} - No Call No Show" if number % 10 else f"Client {number} no call",
                "Client_Status__c": STATUSES[number % len(STATUSES)],
            }
            if number % 4 == 0:
                fields.update(Referral_Account__c=None, Referral_Status__c=None)
            if number % 5 == 0:
                fields["Intervention_Plan__c"] = "Called the client; apology and a credit agreed."
            insert_sli(self.sandbox.salesforce, self.refs, self.clock(), self.people.submitter, **fields)
        self.slis += n
        return {"changed": n}

    def seed_responses(self, n: int, spread: timedelta) -> dict[str, int]:
        """``n`` NPS answers, one customer (contact and company) each, scores 0-10 in turn (7 in 11
        are detractors), every 97th an unusable "N/A"; one company in five has no analyst."""
        for i in self._walk(n, spread):
            number = self.responses + i
            analyst = self.analysts[number % 5] if number % 5 != 4 else None
            score: int | str = "N/A" if number % 97 == 96 else number % 11
            self.portal.submission(self.portal.customer(analyst), score, modified=self.clock())
        self.responses += n
        return {"changed": n, "contacts": n, "companies": n}


def raise_limits(sandbox: Sandbox) -> None:
    """Measure calls, not allowances: the clock stands still while a cycle runs, so rolling windows
    never pass, and a 10x burst sends more email than a real org's daily allowance."""
    hs = sandbox.hubspot.settings
    hs.rate_limit_per_10s = 10**9
    hs.search_rate_per_second = 10**9
    hs.daily_limit = 10**9
    sf = sandbox.salesforce.settings
    sf.daily_api_budget = 10**9
    sf.single_email_daily_limit = 10**9
    sf.workflow_email_daily_limit = 10**9
