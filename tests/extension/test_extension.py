"""A new action kind and a new CRM adapter, each declared in one module of their own, are validated,
planned and delivered with no edit anywhere else."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from rules.actions.registry import registered as kinds_registered
from rules.source import ConfigErrors
from sync.cli import main
from sync.connectors.registry import load_config
from sync.connectors.registry import registered as connectors_registered
from tests.extension import pager_adapter
from tests.extension.sms_kind import SendSms

CONFIG = """
timezone: UTC
store: {url: sqlite:///state.db}
pager:
  inbox: inbox.json
  outbox: outbox.json
  streams:
    contacts: {object: contact, fields: [name, phone]}
rules:
  - id: welcome-sms
    source: pager.contacts
    actions:
      - send_sms: {to: "{{ record.phone }}", text: "Welcome, {{ record.name }}"}
"""


@pytest.fixture
def extended() -> Iterator[None]:
    with kinds_registered(SendSms), connectors_registered(pager_adapter.SPEC):
        yield


def _write(tmp_path: Path, config: str = CONFIG) -> Path:
    (tmp_path / "inbox.json").write_text(
        json.dumps(
            [
                {"id": "c1", "name": "Ana", "phone": "+15550101"},
                {"id": "c2", "name": "Bo", "phone": "+15550102"},
            ]
        )
    )
    path = tmp_path / "config.yaml"
    path.write_text(textwrap.dedent(config))
    return path


def test_validate_plan_and_deliver_a_new_kind_through_a_new_adapter(
    extended: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _write(tmp_path)
    assert main(["validate", "-c", str(config)]) == 0
    assert main(["run", "--once", "--backfill", "-c", str(config)]) == 0
    sent = json.loads((tmp_path / "outbox.json").read_text())
    assert sorted((m["kind"], m["to"], m["text"]) for m in sent.values()) == [
        ("send_sms", "+15550101", "Welcome, Ana"),
        ("send_sms", "+15550102", "Welcome, Bo"),
    ]
    assert main(["run", "--once", "-c", str(config)]) == 0  # nothing new: nothing sent again
    assert len(json.loads((tmp_path / "outbox.json").read_text())) == 2


def test_validate_checks_the_new_kind_and_adapter_declarations(extended: None, tmp_path: Path) -> None:
    typo = CONFIG.replace("outbox: outbox.json", "outbx: outbox.json")
    with pytest.raises(ConfigErrors) as caught:
        load_config(_write(tmp_path, typo))
    assert [e.message for e in caught.value.errors] == [
        "required key is missing",
        "unknown key 'outbx' (did you mean 'outbox'?)",
    ]
    unknown_field = CONFIG.replace("{{ record.phone }}", "{{ record.fax }}")
    with pytest.raises(ConfigErrors) as caught:
        load_config(_write(tmp_path, unknown_field))
    assert [(e.loc, e.message) for e in caught.value.errors] == [
        (("rules", 0, "actions", 0, "send_sms", "to"), "record field 'fax' is not in the stream's fields"),
    ]
    wrong_object = CONFIG.replace("object: contact", "object: lead")
    with pytest.raises(ConfigErrors) as caught:
        load_config(_write(tmp_path, wrong_object))
    assert [e.message for e in caught.value.errors] == ["the pager adapter polls contacts only, not lead"]


def test_a_crm_that_does_not_declare_the_kind_refuses_it(extended: None, tmp_path: Path) -> None:
    salesforce = """
    salesforce:
      login_url: https://example.my.salesforce.com
      client_id: x
      client_secret: y
      streams:
        sli: {object: Service_Level_Intervention__c, fields: [Name]}
    """
    rule = """
    - id: sms-on-salesforce
      source: salesforce.sli
      actions:
        - send_sms: {to: "+15550100", text: "x"}
    """
    config = (
        textwrap.dedent(salesforce) + textwrap.dedent(CONFIG) + textwrap.indent(textwrap.dedent(rule), "  ")
    )
    with pytest.raises(ConfigErrors) as caught:
        load_config(_write(tmp_path, config))
    messages = [str(e) for e in caught.value.errors]
    assert (
        messages
        == [m for m in messages if "salesforce cannot send_sms; its actions are create_task, notify" in m]
        and messages
    )


def test_without_the_declarations_the_config_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigErrors) as caught:
        load_config(_write(tmp_path))
    messages = [str(e) for e in caught.value.errors]
    assert any("unknown section 'pager'" in m for m in messages)
