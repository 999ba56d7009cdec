"""The adapter against an org that behaves like a real one: Enhanced Email and the Task Description cap,
CC inputs and the recipient cap, TaskSubtype on create only, Chatter rich text and limits, racing
upserts, deliverability."""

from __future__ import annotations

import pytest

from rules.actions.base import Payload, Person
from rules.actions.chatter import ChatterPayload
from rules.actions.email import EmailPayload
from rules.actions.task import TaskPayload
from sandbox.salesforce.rich_text import normalize_rich_text
from sandbox.seeds.salesforce import insert_sli, seed_people
from sync.connectors.base import DeliveryResult, OwedAction
from tests.salesforce.conftest import Org
from tests.support import T0

LONG = "Details of the intervention. " * 1_500  # 43,500 characters: past the 32,000 a Task keeps


def _sli(org: Org) -> str:
    people, refs = seed_people(org.sf)
    return insert_sli(org.sf, refs, T0, people.submitter)


def _action(kind: str, record: str, payload: Payload, n: int = 1, tried: bool = False) -> OwedAction:
    return OwedAction(f"k{n}", f"cs-test-{kind}-{n}", kind, record, payload, 1 if tried else 0, tried)


def _deliver(org: Org, *actions: OwedAction) -> list[DeliveryResult]:
    return org.connector.deliver(list(actions))


def _email(**fields: object) -> EmailPayload:
    values: dict[str, object] = {"to": Person(email="rae@org.test"), "subject": "SLI alert", "text": LONG}
    return EmailPayload.model_validate({**values, **fields})


@pytest.mark.parametrize("enhanced", [True, False])
def test_a_long_email_whose_answer_was_lost_is_found_and_never_sent_twice(org: Org, enhanced: bool) -> None:
    org.sf.settings.enhanced_email = enhanced
    sli = _sli(org)
    first = _action("notify", sli, _email())
    assert [r.status for r in _deliver(org, first)] == ["delivered"]
    assert len(org.sf.records("EmailMessage")) == (1 if enhanced else 0)
    replay = _action("notify", sli, _email(), tried=True)
    assert [r.status for r in _deliver(org, replay)] == ["delivered"]
    assert len(org.sandbox.emails()) == 1
    body = org.sandbox.emails()[0]["body"]
    assert body.startswith("[crm-sync ref cs-test-notify-1]\n")


def test_an_html_email_carries_its_reference_hidden_at_the_top(org: Org) -> None:
    sli = _sli(org)
    html = "<p>" + LONG + "</p>"
    _deliver(org, _action("notify", sli, _email(text=None, html=html)))
    assert _deliver(org, _action("notify", sli, _email(text=None, html=html), tried=True))[0].status == "delivered"
    assert len(org.sandbox.emails()) == 1
    assert org.sandbox.emails()[0]["body"].startswith('<div style="display:none">[crm-sync ref cs-test-notify-1]')


def test_ccs_go_in_the_cc_input_of_the_api_version(org: Org) -> None:
    sli = _sli(org)
    cc = (Person(email="cc1@org.test"), Person(email="cc2@org.test"))
    assert _deliver(org, _action("notify", sli, _email(cc=cc)))[0].status == "delivered"
    sent = org.sandbox.emails()[0]
    assert (sent["to"], sent["cc"]) == (["rae@org.test"], ["cc1@org.test", "cc2@org.test"])


def test_more_recipients_than_the_api_version_allows_fail_for_good_with_the_fix(org: Org) -> None:
    sli = _sli(org)
    cc = tuple(Person(email=f"cc{n}@org.test") for n in range(5))
    result = _deliver(org, _action("notify", sli, _email(cc=cc)))[0]
    assert (result.status, result.retryable) == ("failed", False)
    assert "6 recipients" in (result.error or "") and "api_version" in (result.error or "")
    assert org.sandbox.emails() == []


def test_an_org_that_may_not_send_email_is_a_permanent_failure_naming_deliverability(org: Org) -> None:
    org.sf.settings.email_deliverability = "system_email_only"
    result = _deliver(org, _action("notify", _sli(org), _email()))[0]
    assert (result.status, result.retryable) == ("failed", False)
    assert "NO_MASS_MAIL_PERMISSION" in (result.error or "") and "Deliverability" in (result.error or "")


def _task(kind: str | None) -> TaskPayload:
    return TaskPayload(subject="Call the client", type=kind)


def test_a_task_type_is_set_on_create_and_a_replay_updates_without_it(org: Org) -> None:
    sli = _sli(org)
    assert _deliver(org, _action("create_task", sli, _task("call")))[0].status == "delivered"
    replay = _deliver(org, _action("create_task", sli, _task("call"), tried=True))[0]
    assert replay.status == "delivered", replay.error
    tasks = [t for t in org.sf.records("Task") if t["Crm_Sync_Key__c"]]
    assert [(t["TaskSubtype"], t["Crm_Sync_Key__c"]) for t in tasks] == [("Call", "cs-test-create_task-1")]


def test_a_task_type_salesforce_does_not_know_fails_for_good_with_the_values(org: Org) -> None:
    result = _deliver(org, _action("create_task", _sli(org), _task("Meeting")))[0]
    assert (result.status, result.retryable) == ("failed", False)
    assert "Task, Email" in (result.error or "")


def test_an_upsert_that_loses_a_race_on_its_key_is_repeated_once(org: Org) -> None:
    sli = _sli(org)
    org.sf.race_upserts(1)
    result = _deliver(org, _action("create_task", sli, _task(None)))[0]
    assert result.status == "delivered", result.error
    assert len([t for t in org.sf.records("Task") if t["Crm_Sync_Key__c"]]) == 1


def test_an_html_post_is_rich_text_with_allowed_tags(org: Org) -> None:
    sli = _sli(org)
    body = "Plan <strong>missing</strong><br>for <span>John</span>"
    assert _deliver(org, _action("post_chatter", sli, ChatterPayload(body=body)))[0].status == "delivered"
    post = org.sf.records("FeedItem")[0]
    assert post["IsRichText"] is True
    assert "<b>missing</b>" in post["Body"] and "<span" not in post["Body"] and "<strong>" not in post["Body"]


def test_a_post_longer_than_salesforce_keeps_is_cut_not_refused(org: Org) -> None:
    result = _deliver(org, _action("post_chatter", _sli(org), ChatterPayload(body=LONG)))[0]
    assert result.status == "delivered", result.error
    body = org.sf.records("FeedItem")[0]["Body"]
    assert len(body) == 10_000 and body.endswith("[crm-sync ref cs-test-post_chatter-1]")


def test_an_earlier_post_stored_rewritten_is_found_by_its_token(org: Org) -> None:
    """Salesforce may store a body other than the one sent: the retry check must not need it equal."""
    sli = _sli(org)
    body = "Plan missing for John Smith"
    stored = normalize_rich_text(f"<i>{body}</i><p>[crm-sync ref cs-test-post_chatter-1]</p>")
    org.sf.insert("FeedItem", {"ParentId": sli, "Body": stored, "IsRichText": True})
    replay = _action("post_chatter", sli, ChatterPayload(body=body), tried=True)
    assert _deliver(org, replay)[0].status == "delivered"
    assert len(org.sf.records("FeedItem")) == 1
