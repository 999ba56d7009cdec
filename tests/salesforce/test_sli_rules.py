"""The SLI reference rules through the real Salesforce adapter and the sandbox, with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sandbox.seeds.salesforce import People, insert_sli, seed_people
from tests.salesforce.conftest import Org
from tests.support import T0


def emails(org: Org, subject_prefix: str = "") -> list[dict]:  # type: ignore[type-arg]
    return [e for e in org.sandbox.emails() if e["subject"].startswith(subject_prefix)]


def seven(people: People) -> set[str]:
    names = ("sam", "olga", "mona", "rita", "dirk", "cara", "hank")
    return {f"{n}@org.test" for n in names}


def test_alert_on_submission_reaches_the_seven_roles_once(org: Org) -> None:
    people, refs = seed_people(org.sf)
    sli = insert_sli(org.sf, refs, T0, people.submitter)
    report = org.engine.run_cycle()
    assert report.ok, report.errors
    alerts = emails(org, "New Service Level Intervention")
    assert {a for e in alerts for a in e["to"]} == seven(people)
    assert len(alerts) == 7 and all(e["related_id"] == sli for e in alerts)
    (post,) = [r for r in org.sf.records("FeedItem") if "alerted" in r["Body"]]
    assert post["ParentId"] == sli and "alerted 7 people" in post["Body"]
    tasks = [t for t in org.sf.records("Task") if t.get("Crm_Sync_Key__c")]
    assert sorted(t["Subject"] for t in tasks) == [
        "Complete 14-day follow-up with the referral partner",
        "Contact client to ensure satisfaction",
    ]
    assert {t["ActivityDate"] for t in tasks} == {(T0 + timedelta(days=14)).date().isoformat()}
    assert {t["OwnerId"] for t in tasks} == {people.rcsm, people.referral_owner}
    calls = org.api_calls()
    again = org.engine.run_cycle()
    assert again.planned == [] and len(emails(org)) == 7
    assert org.api_calls() - calls == 2  # the next cycle: the org's clock/usage, and one query


def test_a_person_holding_two_roles_gets_one_email(org: Org) -> None:
    people, refs = seed_people(org.sf)
    insert_sli(org.sf, refs, T0, people.sli_rd)  # the submitter is also the office's Regional Director
    org.engine.run_cycle()
    alerts = emails(org, "New Service Level Intervention")
    recipients = [a for e in alerts for a in e["to"]]
    assert recipients.count("dirk@org.test") == 1 and len(alerts) == 6


def test_missing_roles_are_skipped_and_the_rest_still_alerted(org: Org) -> None:
    from sync.status import collect_status

    people, refs = seed_people(org.sf)
    sli = insert_sli(org.sf, refs, T0, people.submitter, Referral_Account__c=None, Referral_Status__c=None)
    report = org.engine.run_cycle()
    assert report.ok
    alerts = emails(org, "New Service Level Intervention")
    assert {a for e in alerts for a in e["to"]} == {"sam@org.test", "dirk@org.test", "cara@org.test"}
    with org.store.transaction() as tx:
        notices = {n["message"] for n in collect_status(tx)["notices"] if n["record"].endswith(sli)}
    assert "referral_account_owner: empty: Referral_Account__r.Owner.Email has no value" in notices
    assert len(notices) == 4  # owner, owner's manager, referral CC office's RD and division head
    tasks = [t for t in org.sf.records("Task") if t.get("Crm_Sync_Key__c")]
    assert [t["Subject"] for t in tasks] == ["Contact client to ensure satisfaction"]  # no referral follow-up


def test_inactive_user_is_skipped_and_reported(org: Org) -> None:
    from sync.status import collect_status

    _, refs = seed_people(org.sf)
    gone = org.sf.insert(
        "User", {"Username": "gone@org.test", "LastName": "Gone", "Email": "gone@org.test", "IsActive": False}
    )
    insert_sli(org.sf, refs, T0, gone)
    report = org.engine.run_cycle()
    assert report.ok
    assert "gone@org.test" not in {a for e in emails(org) for a in e["to"]}
    assert len(emails(org, "New Service Level Intervention")) == 6
    with org.store.transaction() as tx:
        notices = collect_status(tx)["notices"]
    assert any(n["message"] == "sli_submitter: inactive user gone@org.test" for n in notices)
    (post,) = [r for r in org.sf.records("FeedItem") if "alerted" in r["Body"]]
    assert "sli_submitter (inactive user gone@org.test)" in post["Body"]


def test_reminder_boundary_23h59_nothing_24h01_once(org: Org) -> None:
    people, refs = seed_people(org.sf)
    insert_sli(org.sf, refs, T0, people.submitter)
    org.engine.run_cycle()
    org.clock.advance(hours=23, minutes=59)
    org.engine.run_cycle()
    assert emails(org, "Reminder") == []
    org.clock.advance(minutes=2)
    org.engine.run_cycle()
    assert len(emails(org, "Reminder")) == 7
    org.clock.advance(hours=3)
    org.engine.run_cycle()
    assert len(emails(org, "Reminder")) == 7


def test_plan_filled_in_cancels_the_reminder(org: Org) -> None:
    people, refs = seed_people(org.sf)
    sli = insert_sli(org.sf, refs, T0, people.submitter)
    org.engine.run_cycle()
    org.clock.advance(hours=3)
    token = org.sf.issue_token()
    org.rsps.calls.reset()
    import requests

    response = requests.patch(
        f"https://org.sandbox.test/services/data/v62.0/sobjects/Service_Level_Intervention__c/{sli}",
        json={"Intervention_Plan__c": "Replace the caregiver; call the family daily"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 204
    org.clock.advance(minutes=1)
    org.engine.run_cycle()
    org.clock.advance(days=2)
    org.engine.run_cycle()
    assert emails(org, "Reminder") == []


def test_three_day_outage_catches_up_once(org: Org) -> None:
    people, refs = seed_people(org.sf)
    insert_sli(org.sf, refs, T0, people.submitter)
    org.engine.run_cycle()
    org.clock.advance(days=3)
    org.engine.run_cycle()
    org.engine.run_cycle()
    assert len(emails(org, "Reminder")) == 7
    assert len(emails(org, "New Service Level Intervention")) == 7


def tasks_titled(org: Org, subject: str) -> list[dict]:  # type: ignore[type-arg]
    return [t for t in org.sf.records("Task") if t.get("Subject") == subject]


def test_still_not_satisfied_at_14_days_sets_the_30_day_task(org: Org) -> None:
    people, refs = seed_people(org.sf)
    unhappy = insert_sli(
        org.sf, refs, T0, people.submitter, Client_Status__c="Yellow", Referral_Status__c="Green"
    )
    happy = insert_sli(
        org.sf,
        refs,
        T0,
        people.submitter,
        Name="Ann Lee - Late Caregiver",
        Client_Status__c="Green",
        Referral_Status__c="Green",
    )
    org.engine.run_cycle()
    org.clock.advance(days=13, hours=23)
    org.engine.run_cycle()
    assert tasks_titled(org, "Contact client in 30 days to ensure satisfaction") == []
    org.clock.advance(hours=2)
    org.engine.run_cycle()
    (task,) = tasks_titled(org, "Contact client in 30 days to ensure satisfaction")
    assert task["WhatId"] == unhappy and task["OwnerId"] == people.rcsm
    assert task["ActivityDate"] == (T0 + timedelta(days=30)).date().isoformat()
    assert happy not in {
        t["WhatId"] for t in tasks_titled(org, "Contact client in 30 days to ensure satisfaction")
    }


def _overdue(org: Org) -> list[dict]:  # type: ignore[type-arg]
    return emails(org, "Overdue:")


def test_unresolved_at_30_days_escalates_once_with_a_chatter_post(org: Org) -> None:
    people, refs = seed_people(org.sf)
    sli = insert_sli(org.sf, refs, T0, people.submitter)
    org.engine.run_cycle()
    # Incident_Date__c is T0's date: due at midnight 30 days later in the config's zone (New York, EDT).
    org.clock.now = datetime(2026, 4, 1, 3, 59, tzinfo=UTC)
    org.engine.run_cycle()
    assert _overdue(org) == []
    org.clock.advance(minutes=2)
    org.engine.run_cycle()
    org.engine.run_cycle()
    assert {a for e in _overdue(org) for a in e["to"]} == {"dirk@org.test", "cara@org.test", "hilda@org.test"}
    assert len(_overdue(org)) == 3
    assert any("unresolved 30 days" in p["Body"] and p["ParentId"] == sli for p in org.sf.records("FeedItem"))


def _patch(org: Org, sli: str, sobject: str = "Service_Level_Intervention__c", **fields: object) -> None:
    import requests

    response = requests.patch(
        f"https://org.sandbox.test/services/data/v62.0/sobjects/{sobject}/{sli}",
        json=fields,
        headers={"Authorization": f"Bearer {org.sf.issue_token()}"},
    )
    assert response.status_code == 204, response.text


def test_the_30_day_escalation_goes_to_the_office_s_director_as_it_is_then(org: Org) -> None:
    """The SLI itself is untouched (older than the polling overlap); only its office changed."""
    people, refs = seed_people(org.sf)
    insert_sli(org.sf, refs, T0, people.submitter)
    insert_sli(org.sf, refs, T0, people.submitter, Name="Ann Lee - Late Caregiver")
    org.engine.run_cycle()
    org.clock.advance(days=20)
    nora = org.sf.insert(
        "User",
        {"Username": "nora@org.test", "LastName": "New", "FirstName": "Nora", "Email": "nora@org.test"},
    )
    _patch(org, refs["office"], "Office__c", Regional_Director__c=nora)  # dirk has left
    org.engine.run_cycle()
    org.clock.now = datetime(2026, 4, 1, 4, 1, tzinfo=UTC)
    queries = len([r for r in org.sandbox.requests() if "/query" in r["path"]])
    report = org.engine.run_cycle()
    assert report.reread == {"salesforce.sli": 2}
    overdue = _overdue(org)
    assert {a for e in overdue for a in e["to"]} == {"nora@org.test", "cara@org.test", "hilda@org.test"}
    assert "dirk@org.test" not in {a for e in overdue for a in e["to"]}
    # the poll, and one query re-reading both due SLIs with their relationships
    assert len([r for r in org.sandbox.requests() if "/query" in r["path"]]) - queries == 2


def test_resolution_or_an_exception_before_30_days_cancels_the_escalation(org: Org) -> None:
    people, refs = seed_people(org.sf)
    resolved = insert_sli(org.sf, refs, T0, people.submitter)
    excepted = insert_sli(org.sf, refs, T0, people.submitter, Name="Ann Lee - Late Caregiver")
    still_open = insert_sli(
        org.sf, refs, T0, people.submitter, Name="Bo Chan - Care Plan Gap", Referral_Status__c="Green"
    )
    org.engine.run_cycle()
    org.clock.advance(days=10)
    _patch(
        org, resolved, Client_Status__c="Green", Referral_Status__c="Red"
    )  # Green and Red are both resolved
    _patch(org, excepted, Exception_Approved__c=True)
    _patch(org, still_open, Client_Status__c="Green", Referral_Status__c="Orange")
    org.engine.run_cycle()
    org.clock.advance(days=21)
    org.engine.run_cycle()
    assert {e["related_id"] for e in _overdue(org)} == {still_open}


def test_a_deleted_sli_cancels_its_timers(org: Org) -> None:
    import requests

    people, refs = seed_people(org.sf)
    sli = insert_sli(org.sf, refs, T0, people.submitter)
    org.engine.run_cycle()
    org.clock.advance(hours=2)
    response = requests.delete(
        f"https://org.sandbox.test/services/data/v62.0/sobjects/Service_Level_Intervention__c/{sli}",
        headers={"Authorization": f"Bearer {org.sf.issue_token()}"},
    )
    assert response.status_code == 204
    org.clock.advance(minutes=1)
    report = org.engine.run_cycle()
    assert report.deleted["salesforce.sli"] == 1
    org.clock.advance(days=31)
    org.engine.run_cycle()
    assert emails(org, "Reminder") == [] and _overdue(org) == []


def test_badly_named_sli_gets_one_chatter_post(org: Org) -> None:
    people, refs = seed_people(org.sf)
    bad = insert_sli(org.sf, refs, T0, people.submitter, Name="john smith no call")
    good = insert_sli(org.sf, refs, T0, people.submitter)
    org.engine.run_cycle()
    org.clock.advance(hours=1)
    org.engine.run_cycle()
    posts = [p for p in org.sf.records("FeedItem") if "please rename" in p["Body"]]
    assert [p["ParentId"] for p in posts] == [bad]
    assert "Sam Submitter" in posts[0]["Body"] and good not in {p["ParentId"] for p in posts}
