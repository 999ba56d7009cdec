"""The SMTP channel: the message it builds, what each server answer means, and the doctor's check,
against the sandbox's SMTP server (STARTTLS on the sandbox CA, AUTH required)."""

from __future__ import annotations

import smtplib
from email import message_from_bytes, policy

import pytest

from rules.actions.email import EmailPayload
from rules.settings import EmailSettings, Settings
from sync.channels.smtp import SmtpOutlet, build_message, checks, connect
from sync.connectors.base import CrmUnavailable, OwedAction
from tests.channels.conftest import Served, fixed_clock

SETTINGS = EmailSettings(host="smtp.example.com", from_address="crm-sync@example.com", from_name="CS", reply_to="cs@example.com")


def owed(key: str = "k1", to: str = "pat@example.com", **changes: object) -> OwedAction:
    payload = EmailPayload.model_validate(
        {
            "related_id": "1000016",
            "to": {"email": to, "name": "Pat Doe"},
            "cc": [{"email": "lead@example.com"}],
            "subject": "Following up – your feedback",
            "text": "Dear Pat,\nwe are sorry. " + "x" * 100,
            "html": "<p>Dear Pat,</p><p>we are sorry. Ünïcode</p>",
            **changes,
        }
    )
    return OwedAction(key, f"cs-{key}", "send_email", "1000016", payload, 0)


def test_the_message_is_multipart_text_and_html_quoted_printable_with_stable_ids() -> None:
    message = build_message(owed(), SETTINGS, fixed_clock)
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert {p["Content-Transfer-Encoding"] for p in parts} == {"quoted-printable"}
    assert "Ünïcode" in parts[1].get_content()
    assert parsed["Message-ID"] == "<cs-k1@example.com>"
    assert build_message(owed(), SETTINGS, fixed_clock)["Message-ID"] == parsed["Message-ID"]  # every attempt
    assert build_message(owed("k2"), SETTINGS, fixed_clock)["Message-ID"] != parsed["Message-ID"]
    assert parsed["X-Crm-Sync-Related-Id"] == "1000016"
    assert parsed["From"] == "CS <crm-sync@example.com>" and parsed["To"] == "Pat Doe <pat@example.com>"
    assert parsed["Cc"] == "lead@example.com" and parsed["Reply-To"] == "cs@example.com"
    assert parsed["Subject"] == "Following up – your feedback"


def test_the_sender_a_rule_names_is_the_reply_address() -> None:
    action = owed(sender={"email": "ana@example.com", "name": "Ana"})
    assert build_message(action, SETTINGS, fixed_clock)["Reply-To"] == "ana@example.com"


def test_an_accepted_email_is_delivered_and_shows_in_the_outbox(served: Served) -> None:
    (result,) = SmtpOutlet(served.email(), fixed_clock).deliver([owed()])
    assert result.status == "delivered" and result.crm_id == "<cs-k1@example.com>"
    (email,) = served.box.emails()
    assert email["source"] == "smtp" and email["to"] == ["pat@example.com"] and email["cc"] == ["lead@example.com"]
    assert email["related_id"] == "1000016" and email["message_id"] == "<cs-k1@example.com>"


@pytest.mark.documented("RFC 5321 section 4.2.1: 4yz replies are transient negative completions (try again), 5yz permanent")
def test_a_4xx_is_retried_and_a_5xx_dead_with_the_server_reply(served: Served) -> None:
    served.box.add_fault({"crm": "smtp", "status": 451, "body": "4.7.1 greylisted"})
    served.box.add_fault({"crm": "smtp", "status": 550, "body": "5.1.1 <pat@example.com>: no such user"})
    first, second, third = SmtpOutlet(served.email(), fixed_clock).deliver([owed("a"), owed("b"), owed("c")])
    assert first.status == "failed" and first.retryable and "451 4.7.1 greylisted" in (first.error or "")
    assert second.status == "failed" and not second.retryable
    assert second.error == "the SMTP server rejected the email: 550 5.1.1 <pat@example.com>: no such user"
    assert third.status == "delivered"  # one rejection never blocks the next email on the connection
    assert [e["message_id"] for e in served.box.emails()] == ["<cs-c@example.com>"]


def test_a_dropped_connection_fails_the_rest_of_the_batch_retryably(served: Served) -> None:
    served.box.add_fault({"crm": "smtp", "drop": True})
    results = SmtpOutlet(served.email(), fixed_clock).deliver([owed("a"), owed("b")])
    assert [(r.status, r.retryable) for r in results] == [("failed", True), ("failed", True)]
    assert served.box.emails() == []


def test_a_refused_login_defers_the_batch(served: Served) -> None:
    with pytest.raises(CrmUnavailable, match="refused the login: 535"):
        SmtpOutlet(served.email(password="wrong"), fixed_clock).deliver([owed()])


def test_an_unreachable_server_fails_retryably(served: Served) -> None:
    (result,) = SmtpOutlet(served.email(port=1), fixed_clock).deliver([owed()])
    assert result.status == "failed" and result.retryable and "SMTP:" in (result.error or "")


@pytest.mark.guessed("the sandbox requires STARTTLS before AUTH as most submission servers (port 587) do; servers differ")
def test_the_sandbox_server_refuses_a_login_before_starttls(served: Served) -> None:
    with pytest.raises(smtplib.SMTPException):
        connect(served.email(security="none"))


def test_the_doctor_checks_connection_tls_and_login(served: Served) -> None:
    (ok,) = checks(Settings(email=served.email()))
    assert ok.status == "ok" and "starttls, logged in as crm-sync" in ok.message
    (refused,) = checks(Settings(email=served.email(password="wrong")))
    assert refused.status == "blocker" and refused.name == "login" and refused.fix
    (unreachable,) = checks(Settings(email=served.email(port=1)))
    assert unreachable.status == "blocker" and unreachable.name == "connect"
    assert checks(Settings()) == []
