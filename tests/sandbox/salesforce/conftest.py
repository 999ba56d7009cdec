"""Fixtures for the Salesforce emulator tests: the emulator on a movable clock, mounted into ``responses``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import responses
from simple_salesforce import Salesforce

from sandbox.app import Sandbox
from sandbox.clock import MovableClock
from sandbox.core import Outbox
from sandbox.mount import mounted
from sandbox.salesforce import SalesforceEmulator, SalesforceSettings
from sandbox.salesforce.testing import BASE_URL
from sandbox.seeds.salesforce import ReferenceOrg, seed_reference_org


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def settings() -> SalesforceSettings:
    return SalesforceSettings()


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def emulator(outbox: Outbox, clock: MovableClock, settings: SalesforceSettings) -> SalesforceEmulator:
    return SalesforceEmulator(outbox, clock=clock, settings=settings)


@pytest.fixture
def rsps(
    emulator: SalesforceEmulator, outbox: Outbox, clock: MovableClock
) -> Iterator[responses.RequestsMock]:
    """The emulator answering ``BASE_URL`` and ``*.salesforce.com`` through a ``Sandbox``."""
    with mounted(Sandbox(clock=clock, outbox=outbox, salesforce=emulator), BASE_URL) as (_, mock):
        yield mock


@pytest.fixture
def sf(emulator: SalesforceEmulator, rsps: responses.RequestsMock) -> Salesforce:
    """simple-salesforce on an existing session, as the worker builds it from a token."""
    return Salesforce(
        instance_url=BASE_URL, session_id=emulator.issue_token(), version="62.0", session=requests.Session()
    )


@pytest.fixture
def org(emulator: SalesforceEmulator) -> ReferenceOrg:
    return seed_reference_org(emulator)
