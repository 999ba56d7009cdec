"""Salesforce records as a real org keeps them: User's required fields and Profile, TaskSubtype, FeedItem
limits and feed tracking, concurrent upserts of one external id."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from tests.contract.conftest import Backdoor, SfCall

USER_LOCALE = {
    "TimeZoneSidKey": "America/Los_Angeles",
    "LocaleSidKey": "en_US",
    "EmailEncodingKey": "UTF-8",
    "LanguageLocaleKey": "en_US",
}


def _error(caught: pytest.ExceptionInfo[SalesforceMalformedRequest]) -> dict[str, Any]:
    return dict(caught.value.content[0])


@pytest.mark.documented("https://github.com/forcedotcom/sfdx-core (User REQUIRED_FIELDS: username, lastName, alias, timeZoneSidKey, localeSidKey, emailEncodingKey, profileId, languageLocaleKey, email); https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_profile.htm")
def test_a_user_needs_alias_profile_and_locale_keys(sf: Salesforce) -> None:
    profiles = sf.query("SELECT Id, Name FROM Profile")["records"]
    standard = next(p["Id"] for p in profiles if p["Name"] == "Standard User")
    assert standard.startswith("00e")
    base = {"Username": "new.user@contract.test", "LastName": "New", "Email": "new.user@contract.test"}
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.User.create(base)
    error = _error(caught)
    assert error["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert {"Alias", "ProfileId", *USER_LOCALE} <= set(error["fields"])
    created = sf.User.create({**base, "Alias": "new", "ProfileId": standard, **USER_LOCALE})
    row = sf.query(f"SELECT Alias, Profile.Name FROM User WHERE Id = '{created['id']}'")["records"][0]
    assert (row["Alias"], row["Profile"]["Name"]) == ("new", "Standard User")


def _account(sf: Salesforce) -> str:
    return str(sf.Account.create({"Name": "Contract Co"})["id"])


@pytest.mark.guessed("TaskSubtype createable but not updateable rests on the Task object reference (sforce_api_objects_task.htm) only; the update error code is a guess from the API's usual one for a non-updateable field")
def test_task_subtype_is_set_on_create_only(sf: Salesforce, sf_call: SfCall) -> None:
    task = sf.Task.create({"Subject": "Call back", "TaskSubtype": "Call", "WhatId": _account(sf)})["id"]
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Task.update(task, {"TaskSubtype": "Task"})
    assert _error(caught)["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Task.create({"Subject": "x", "TaskSubtype": "Phone"})
    assert _error(caught)["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    describe = {f["name"]: f for f in sf.Task.describe()["fields"]}["TaskSubtype"]
    assert {p["value"] for p in describe["picklistValues"]} >= {"Task", "Email", "Call", "ListEmail"}
    assert (describe["createable"], describe["updateable"]) == (True, False)


@pytest.mark.documented("https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_feeditem.htm (Body: up to 10,000 characters)")
def test_feed_item_body_is_capped_at_10000_characters(sf: Salesforce) -> None:
    parent = _account(sf)
    assert sf.FeedItem.create({"ParentId": parent, "Body": "x" * 10_000})["success"]
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.FeedItem.create({"ParentId": parent, "Body": "x" * 10_001})
    assert _error(caught)["errorCode"] == "STRING_TOO_LONG"


@pytest.mark.guessed("the feed-tracking requirement is documented (FeedItem object reference) but the error a post on an untracked object answers is not recorded")
def test_a_post_on_an_object_without_feed_tracking_is_refused(sf: Salesforce, backdoor: Backdoor) -> None:
    parent = _account(sf)
    backdoor.salesforce_org(feed_tracking_off=frozenset({"Account"}))
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.FeedItem.create({"ParentId": parent, "Body": "hello"})
    assert _error(caught)["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert sf.Account.describe()["feedEnabled"] is False


@pytest.mark.guessed("that Salesforce rewrites a rich-text FeedItem body it accepts (tags outside the allowed set, attributes) is undocumented")
def test_a_rich_text_post_is_stored_normalised(sf: Salesforce) -> None:
    body = 'Plan <b>missing</b> <span class="x">now</span>'
    post = sf.FeedItem.create({"ParentId": _account(sf), "Body": body, "IsRichText": True})["id"]
    stored = sf.FeedItem.get(post)["Body"]
    assert stored != body and "<span" not in stored and "<b>missing</b>" in stored


@pytest.mark.documented("https://salesforce.stackexchange.com/questions/197382 (a recorded request: two concurrent upserts on one unique external id, one answers DUPLICATE_VALUE)")
def test_an_upsert_racing_another_on_the_same_external_id_is_duplicate_value(
    sf_call: SfCall, backdoor: Backdoor
) -> None:
    backdoor.salesforce_race_upserts(1)
    record = {"attributes": {"type": "Task"}, "Subject": "Raced", "Crm_Sync_Key__c": "cs-race"}
    body = {"allOrNone": False, "records": [record]}
    first = sf_call("PATCH", "composite/sobjects/Task/Crm_Sync_Key__c", json=body).json()
    assert first[0]["success"] is False
    assert first[0]["errors"][0]["statusCode"] == "DUPLICATE_VALUE"
    again = sf_call("PATCH", "composite/sobjects/Task/Crm_Sync_Key__c", json=body).json()
    assert (again[0]["success"], again[0]["created"]) == (True, False)
