"""Transactional single-send into the shared Outbox, deduplicated by sendId."""

from __future__ import annotations

SEND = "/marketing/v3/transactional/single-email/send"


def test_send_is_recorded_once_per_send_id(api, outbox):
    body = {
        "emailId": 4242,
        "message": {
            "to": "pat@example.com",
            "from": "cs@example.com",
            "cc": ["lead@example.com"],
            "sendId": "nps-7",
        },
        "contactProperties": {"firstname": "Pat"},
        "customProperties": {"subject": "We hear you", "body": "Sorry about that.", "ticket_id": "1000009"},
    }
    first = api("POST", SEND, body)
    assert first.status == 200
    assert first.body["status"] == "PENDING"
    assert first.body["requestedAt"] == "2026-03-02T09:00:00.000Z"

    again = api("POST", SEND, body)
    assert again.status == 200
    assert again.body["status"] == "PENDING"
    repeat = api("GET", f"/marketing/v3/email/send-statuses/{again.body['statusId']}").body
    assert (repeat["status"], repeat["sendResult"]) == ("COMPLETE", "IDEMPOTENT_IGNORE")

    assert [e.as_json() for e in outbox.emails] == [
        {
            "source": "hubspot",
            "to": ["pat@example.com"],
            "cc": ["lead@example.com"],
            "subject": "We hear you",
            "body": "Sorry about that.",
            "related_id": "1000009",
            "sent_at": "2026-03-02T09:00:00.000Z",
        }
    ]
    status = api("GET", f"/marketing/v3/email/send-statuses/{first.body['statusId']}").body
    assert (status["status"], status["sendResult"]) == ("COMPLETE", "SENT")


def test_without_send_id_every_call_sends_and_defaults_apply(api, outbox):
    body = {"emailId": 7, "message": {"to": "pat@example.com"}, "customProperties": {"score": 3}}
    api("POST", SEND, body)
    api("POST", SEND, body)
    assert len(outbox.emails) == 2
    email = outbox.emails[0]
    assert email.subject == "email 7"
    assert '"score": 3' in email.body
    assert email.related_id is None and email.cc == []


def test_invalid_sends_are_400_and_send_nothing(api, outbox):
    assert api("POST", SEND, {"message": {"to": "pat@example.com"}}).status == 400
    response = api("POST", SEND, {"emailId": 1, "message": {"to": "not-an-address"}})
    assert response.status == 400 and response.body["category"] == "VALIDATION_ERROR"
    assert outbox.emails == []


def test_emails_engagement_object_logs_without_sending(api, outbox):
    logged = api(
        "POST",
        "/crm/v3/objects/emails",
        {
            "properties": {
                "hs_timestamp": "2026-03-02T09:00:00Z",
                "hs_email_direction": "EMAIL",
                "hs_email_subject": "Hi",
            }
        },
    )
    assert logged.status == 201
    assert outbox.emails == []
    assert (
        api("POST", "/crm/v3/objects/emails", {"properties": {"hs_timestamp": "2026-03-02T09:00:00Z"}}).status
        == 400
    )
