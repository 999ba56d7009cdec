"""``channel`` on ``notify`` / ``send_email``: the defaults per CRM, what ``validate`` shows, and located
errors for a channel the configuration cannot serve."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rules.source import ConfigErrors
from sync.cli import main
from sync.connectors.registry import load_config
from tests.conftest import TEMPLATES

WITH_SORRY = {**TEMPLATES, "sorry.txt": "We are sorry, {{ recipient.name or 'there' }}."}

EMAIL = """
email:
  host: smtp.example.com
  username: crm-sync
  password: secret
  from_address: crm-sync@example.com
"""

CHAT = """
chat:
  slack:
    cs-alerts: https://hooks.slack.example/services/T0/B0/x
"""

HUBSPOT = """
hubspot:
  access_token: token
  streams:
    nps:
      object: feedback_submissions
      fields: [hs_value, hs_contact_id, contact.email]
      relations:
        contact: {object: contacts, via: hs_contact_id}
"""


def rule(source: str, action: str) -> str:
    return f"""
rules:
  - id: r
    source: {source}
    actions:
      - {action}
"""


SF_NOTIFY = 'notify: {to: [owner], subject: "SLI {{ record.Name }}", template: alert}'
HS_EMAIL = 'send_email: {to: ["{{ record.contact.email }}"], subject: "Sorry", template: sorry%s}'


def targets(path: Path) -> dict[str, tuple[str, str | None]]:
    ruleset = load_config(path)
    return {
        spec.id: (spec.target, getattr(spec.compiled, "log_in", None))
        for r in ruleset.rules
        for spec in r.actions
    }


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        load_config(path)
    return [str(e) for e in info.value.errors]


def test_salesforce_emails_stay_with_salesforce_unless_asked(write_config: Callable[..., Path]) -> None:
    assert targets(write_config(EMAIL + rule("salesforce.sli", SF_NOTIFY))) == {"notify": ("salesforce", None)}
    asked = SF_NOTIFY.replace("template: alert", "template: alert, channel: smtp")
    assert targets(write_config(EMAIL + rule("salesforce.sli", asked))) == {"notify": ("smtp", None)}


def test_hubspot_emails_go_by_smtp_when_there_is_an_email_section_and_are_logged(
    write_config: Callable[..., Path],
) -> None:
    with_smtp = write_config(EMAIL + HUBSPOT + rule("hubspot.nps", HS_EMAIL % ""), templates=WITH_SORRY)
    assert targets(with_smtp) == {"send_email": ("smtp", "hubspot")}
    without = write_config(HUBSPOT + rule("hubspot.nps", HS_EMAIL % ""), templates=WITH_SORRY)
    assert targets(without) == {"send_email": ("hubspot", None)}
    add_on = write_config(EMAIL + HUBSPOT + rule("hubspot.nps", HS_EMAIL % ", channel: crm"), templates=WITH_SORRY)
    assert targets(add_on) == {"send_email": ("hubspot", None)}


def test_smtp_without_an_email_section_is_a_located_error(write_config: Callable[..., Path]) -> None:
    path = write_config(rule("salesforce.sli", SF_NOTIFY.replace("alert}", "alert, channel: smtp}")))
    (error,) = errors_of(path)
    assert ".notify.channel: channel smtp needs an email: section" in error
    assert error.startswith(f"{path}:")


def test_chat_needs_a_known_room_and_takes_no_recipients(write_config: Callable[..., Path]) -> None:
    chat = 'notify: {channel: slack, room: %s, subject: "SLI {{ record.Name }}"}'
    ok = write_config(CHAT + rule("salesforce.sli", chat % "cs-alerts"))
    assert targets(ok) == {"notify": ("slack", None)}
    (unknown,) = errors_of(write_config(CHAT + rule("salesforce.sli", chat % "cs-alert")))
    assert "notify.room: unknown slack room 'cs-alert' (chat.slack has: cs-alerts) (did you mean 'cs-alerts'?)" in unknown
    teams = chat.replace("slack", "teams") % "cs-alerts"
    (no_teams,) = errors_of(write_config(CHAT + rule("salesforce.sli", teams)))
    assert "unknown teams room 'cs-alerts' (chat.teams has: none)" in no_teams
    with_to = 'notify: {channel: slack, room: cs-alerts, to: [owner], subject: "x"}'
    (extra,) = errors_of(write_config(CHAT + rule("salesforce.sli", with_to)))
    assert "notify.to: a slack message goes to its room: to is for emails" in extra
    no_room = 'notify: {channel: slack, subject: "x"}'
    (missing,) = errors_of(write_config(CHAT + rule("salesforce.sli", no_room)))
    assert "notify.channel: channel slack needs a room" in missing


def test_a_customer_email_cannot_go_to_a_chat_room(write_config: Callable[..., Path]) -> None:
    action = 'send_email: {channel: slack, room: cs-alerts, subject: "x"}'
    (error,) = errors_of(write_config(CHAT + rule("salesforce.sli", action)))
    assert "send_email cannot go by slack; its channels are crm, smtp" in error


def test_log_email_is_not_a_rule_action(write_config: Callable[..., Path]) -> None:
    (error,) = errors_of(write_config(rule("salesforce.sli", "log_email: {}")))
    assert "rules[0].actions[0].log_email: log_email is not a rule action" in error


def test_validate_shows_each_rule_s_channel(
    write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(EMAIL + CHAT + HUBSPOT + rule("hubspot.nps", HS_EMAIL % ""), templates=WITH_SORRY)
    with path.open("a") as config:
        config.write('      - notify: {channel: slack, room: cs-alerts, subject: "Detractor"}\n')
    assert main(["validate", "--offline", "-c", str(path)]) == 0
    assert "  r: send_email by smtp, logged in hubspot; notify by slack #cs-alerts" in capsys.readouterr().out


def test_an_email_section_checks_its_login_pair(write_config: Callable[..., Path]) -> None:
    path = write_config(EMAIL.replace("  password: secret\n", "") + rule("salesforce.sli", SF_NOTIFY))
    (error,) = errors_of(path)
    assert "email: give both username and password (or password_file), or neither" in error
