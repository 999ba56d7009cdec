"""Shared fixtures: configs written to a temporary folder, a controllable clock, both databases."""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support import T0, Clock

pytest_plugins = ["pytester"]  # for tests of the test suite's own plugins (tests/test_contract_suite.py)

POSTGRES_URL = os.environ.get(
    "CRM_SYNC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

BASE_CONFIG = """
timezone: UTC
templates: templates
store:
  url: sqlite:///state.db
salesforce:
  login_url: https://example.my.salesforce.com
  client_id: test-client
  client_secret: test-secret
  streams:
    sli:
      object: Service_Level_Intervention__c
      fields:
        - Name
        - CreatedDate
        - Intervention_Plan__c
        - Client_Status__c
        - OwnerId
        - Owner.Email
        - Owner.Name
        - Owner.IsActive
        - Office__r.Regional_Director__c
        - Office__r.Regional_Director__r.Email
        - Office__r.Regional_Director__r.IsActive
roles:
  owner:
    source: salesforce.sli
    id: OwnerId
    email: Owner.Email
    name: Owner.Name
    active: Owner.IsActive
  director:
    source: salesforce.sli
    id: Office__r.Regional_Director__c
    email: Office__r.Regional_Director__r.Email
    active: Office__r.Regional_Director__r.IsActive
"""

TEMPLATES = {
    "alert.txt": "Hello {{ recipient.name or 'there' }}: {{ record.Name }} ({{ record.Client_Status__c }})",
    "alert.html": "<p>Hello {{ recipient.name }}: {{ record.Name }}</p>",
    "reminder.txt": "Plan still empty for {{ record.Name }}",
}


#: What the shipped config.yaml reads for its ``email:`` and ``chat:`` sections, for tests that load it
#: without serving the sandbox's SMTP server and webhooks (those that do set the real values).
CHANNEL_PLACEHOLDERS = {
    "CRM_SYNC_SMTP_HOST": "127.0.0.1",
    "CRM_SYNC_SMTP_PORT": "1",
    "CRM_SYNC_SMTP_USERNAME": "crm-sync",
    "CRM_SYNC_SMTP_PASSWORD": "unused",
    "CRM_SYNC_SMTP_FROM": "crm-sync@example.com",
    "SLACK_CS_ALERTS_WEBHOOK_URL": "https://127.0.0.1:1/chat/slack/cs-alerts",
    "TEAMS_CS_ALERTS_WEBHOOK_URL": "https://127.0.0.1:1/chat/teams/cs-alerts",
}


@pytest.fixture(autouse=True)
def channel_placeholders(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CHANNEL_PLACEHOLDERS.items():
        if name not in os.environ:
            monkeypatch.setenv(name, value)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write BASE_CONFIG plus the given YAML (dedented) and the test templates; returns the path."""

    def write(extra: str = "", *, base: str = BASE_CONFIG, templates: dict[str, str] | None = None) -> Path:
        folder = tmp_path / "templates"
        folder.mkdir(exist_ok=True)
        for name, text in (TEMPLATES if templates is None else templates).items():
            (folder / name).write_text(text)
        path = tmp_path / "config.yaml"
        path.write_text(textwrap.dedent(base).strip() + "\n" + textwrap.dedent(extra).strip() + "\n")
        return path

    return write


def _postgres_available() -> bool:
    try:
        engine = sa.create_engine(POSTGRES_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL schema for one test (required in CI, skipped elsewhere when no server runs)."""
    if not _postgres_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but not reachable at {POSTGRES_URL}")
        pytest.skip("PostgreSQL is not reachable")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return str(request.getfixturevalue("postgres_url"))
