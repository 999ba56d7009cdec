"""Slack and Teams webhooks: the message bodies, and what each answer means, against the sandbox's
receivers (``/chat/{slack|teams}/{room}``, ``GET /_sandbox/chat``)."""

from __future__ import annotations

import pytest

from rules.actions.email import ChatPayload
from sync.channels import slack, teams
from sync.channels.webhooks import WebhookOutlet
from sync.connectors.base import OwedAction
from tests.channels.conftest import Served

LINK = "https://app.hubspot.com/contacts/42/record/0-1/7"


def owed(key: str = "k1", room: str = "cs-alerts", subject: str = "Detractor <score 3> & more") -> OwedAction:
    payload = ChatPayload(related_id="1000016", room=room, subject=subject, link=LINK)
    return OwedAction(key, f"cs-{key}", "notify", "1000016", payload, 0)


def outlet(served: Served, service: str, waits: list[float] | None = None) -> WebhookOutlet:
    chat = served.chat()
    body = slack.body if service == "slack" else teams.body
    sleep = (lambda s: waits.append(s)) if waits is not None else (lambda s: None)
    return WebhookOutlet(service, chat.rooms(service), body, 5.0, served.ca, sleep=sleep)


@pytest.mark.documented("https://api.slack.com/messaging/webhooks: a JSON body with text; <url|label> links; escape &, <, >")
def test_a_slack_message_is_its_subject_and_the_link() -> None:
    assert slack.body(owed().payload) == {  # type: ignore[arg-type]
        "text": f"*Detractor &lt;score 3&gt; &amp; more*\n<{LINK}|Open the record>"
    }


@pytest.mark.documented("https://learn.microsoft.com/en-us/connectors/teams/#microsoft-teams-webhook: an Adaptive Card in a message envelope")
def test_a_teams_message_is_an_adaptive_card_with_the_link() -> None:
    body = teams.body(owed().payload)  # type: ignore[arg-type]
    (attachment,) = body["attachments"]
    assert body["type"] == "message" and attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["body"][0]["text"] == "Detractor <score 3> & more"
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open the record", "url": LINK}]


@pytest.mark.parametrize("service", ["slack", "teams"])
def test_a_message_is_posted_to_its_room(served: Served, service: str) -> None:
    (result,) = outlet(served, service).deliver([owed()])
    assert result.status == "delivered"
    (message,) = served.box.chat_messages()
    assert message["service"] == service and message["room"] == "cs-alerts" and LINK in message["text"]


@pytest.mark.documented("https://api.slack.com/apis/rate-limits: HTTP 429 with Retry-After seconds; nothing was posted")
def test_a_429_is_repeated_after_the_wait_it_asks_for(served: Served) -> None:
    served.box.add_fault({"crm": "chat", "status": 429, "headers": {"Retry-After": "7"}, "times": 2})
    waits: list[float] = []
    (result,) = outlet(served, "slack", waits).deliver([owed()])
    assert result.status == "delivered" and waits == [7.0, 7.0]
    assert len(served.box.chat_messages()) == 1


def test_a_5xx_fails_the_action_for_a_later_cycle_without_repeating_the_post(served: Served) -> None:
    served.box.add_fault({"crm": "chat", "status": 503})
    waits: list[float] = []
    (result,) = outlet(served, "teams", waits).deliver([owed()])
    assert result.status == "failed" and result.retryable and "503" in (result.error or "") and waits == []


@pytest.mark.guessed("Slack answers 404 no_service / 410 channel_is_archived for a webhook that is gone; Teams' answers for a deleted workflow are not documented")
def test_a_webhook_that_is_gone_is_dead_at_once(served: Served) -> None:
    served.box.add_fault({"crm": "chat", "status": 404, "body": "no_service"})
    (result,) = outlet(served, "slack").deliver([owed()])
    assert result.status == "failed" and not result.retryable and "no_service" in (result.error or "")


def test_a_room_no_longer_configured_is_dead(served: Served) -> None:
    (result,) = outlet(served, "slack").deliver([owed(room="elsewhere")])
    assert result.status == "failed" and not result.retryable and "room 'elsewhere'" in (result.error or "")


@pytest.mark.guessed("the sandbox refuses a Slack body without text with 400 invalid_payload, as Slack documents for malformed bodies")
def test_the_sandbox_refuses_a_slack_message_without_text(served: Served) -> None:
    (result,) = outlet(served, "slack").deliver([owed(subject="")])
    assert result.status == "delivered"  # the subject is never empty in Slack's body: the markup wraps it
    import requests

    answer = requests.post(f"{served.url}/chat/slack/cs-alerts", json={}, verify=served.ca, timeout=5)
    assert answer.status_code == 400 and answer.text == "invalid_payload"
