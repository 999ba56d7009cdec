"""Fixtures for the Salesforce emulator tests (helpers live in ``sandbox.salesforce.testing``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import responses
from simple_salesforce import Salesforce

from sandbox.core import Outbox
from sandbox.salesforce import SalesforceEmulator, SalesforceSettings
from sandbox.salesforce.testing import BASE_URL, MovableClock, ReferenceOrg, mount, seed_reference_org


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
def rsps(emulator: SalesforceEmulator) -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mount(emulator, mock)
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
