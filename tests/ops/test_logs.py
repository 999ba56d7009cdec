"""Log lines: JSON or text, the run id of the cycle on each, secrets and personal data redacted."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sync.ops.context import current_run
from sync.ops.logs import configure_logging
from sync.ops.redact import Redactor, secret_values

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
SECRET = "3MVG9-client-secret-value"
FREE_TEXT = ["comment", "content", "feedback"]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def _capture(fmt: str, redactor: Redactor | None = None) -> io.StringIO:
    out = io.StringIO()
    configure_logging(fmt, logging.DEBUG, redactor, stream=out)  # type: ignore[arg-type]
    return out


def test_json_lines_carry_the_run_id_of_the_cycle_in_progress(restore_logging: None) -> None:
    out = _capture("json")
    log = logging.getLogger("crm-sync.test")
    log.info("before")
    token = current_run.set("42")
    try:
        log.warning("during %s", "the cycle", extra={"planned": 3})
    finally:
        current_run.reset(token)
    before, during = (json.loads(line) for line in out.getvalue().splitlines())
    assert before["run_id"] == "-" and before["level"] == "INFO" and before["message"] == "before"
    assert during["run_id"] == "42" and during["message"] == "during the cycle" and during["planned"] == 3
    assert set(during) >= {"time", "level", "logger", "run_id", "message"}


def test_text_lines_name_the_run(restore_logging: None) -> None:
    out = _capture("text")
    token = current_run.set("7")
    try:
        logging.getLogger("crm-sync.test").error("boom")
    finally:
        current_run.reset(token)
    assert "ERROR [7] crm-sync.test: boom" in out.getvalue()


def test_auto_is_json_when_not_a_terminal(restore_logging: None) -> None:
    out = _capture("auto")
    logging.getLogger("x").warning("hello")
    assert json.loads(out.getvalue())["message"] == "hello"


def test_the_secrets_of_the_config_are_found_by_their_keys() -> None:
    settings = {
        "salesforce": {"client_id": "public-id", "client_secret": SECRET, "login_url": "https://x"},
        "hubspot": {"access_token": TOKEN, "streams": {"nps": {"object": "feedback"}}},
        "store": {"password": "hunter22"},
    }
    assert sorted(secret_values(settings)) == sorted([SECRET, TOKEN, "hunter22"])


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_no_secret_address_or_comment_reaches_a_line(fmt: str, restore_logging: None) -> None:
    redactor = Redactor([SECRET, TOKEN], personal=True, free_text=FREE_TEXT)
    out = _capture(fmt, redactor)
    log = logging.getLogger("crm-sync.test")
    log.warning("login refused for client_secret=%s", SECRET)
    log.warning("headers {'Authorization': 'Bearer %s'}", "some-other-token-value")
    log.warning("sent to jane.doe@client.example: %s", {"hs_content": "Billing was wrong 3 times", "hs_value": "2"})
    log.info("payload", extra={"body": {"to": "bob@client.example", "password": "p4ss"}})
    try:
        raise RuntimeError(f"HubSpot refused {TOKEN}")
    except RuntimeError:
        log.exception("call failed")
    text = out.getvalue()
    for leaked in (SECRET, TOKEN, "some-other-token-value", "jane.doe@client.example", "bob@client.example",
                   "Billing was wrong", "p4ss"):
        assert leaked not in text, leaked
    assert "hs_value" in text and "'2'" in text  # only what is secret or personal goes


def test_personal_data_is_kept_when_redaction_is_turned_off() -> None:
    redactor = Redactor([SECRET], personal=False, free_text=FREE_TEXT)
    line = redactor(f"{SECRET} to jane@client.example {{'comment': 'slow'}}")
    assert SECRET not in line and "jane@client.example" in line and "slow" in line


def test_the_daemons_redactor_knows_the_configs_secrets_and_the_database_password(
    write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sync.connectors.registry import load_config
    from sync.daemon import redactor_for

    monkeypatch.setenv("CRM_SYNC_DATABASE_URL", "postgresql://crm_sync:s3cret-db-pass@db/crm_sync")
    redactor = redactor_for(load_config(write_config("rules: []\n")))
    line = redactor("connect failed: s3cret-db-pass; login with test-secret refused; mail ann@x.example")
    assert "s3cret-db-pass" not in line and "test-secret" not in line and "ann@x.example" not in line
