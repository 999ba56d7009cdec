"""End to end: ``explain`` and ``plan`` as subprocesses against the store a worker filled from the served
sandbox (the project's config.yaml and the demo data), with an SLI edited in Salesforce between runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from sandbox.demo_data import DemoSummary
from tests.e2e import test_served_sandbox as served_sandbox
from tests.e2e.test_served_sandbox import ROOT, crm_sync
from tests.engine.test_plan import row_counts

pytestmark = pytest.mark.e2e
served = served_sandbox.served  # the same fixture: the sandbox serving the demo data, and its env


def edit_sli(env: dict[str, str], record_id: str, **fields: str) -> None:
    """Edit an SLI in the served Salesforce, as a user would (client credentials, REST PATCH)."""
    session = requests.Session()
    session.trust_env = False
    verify = env["CRM_SYNC_CA_BUNDLE"]
    token = session.post(
        env["SALESFORCE_LOGIN_URL"] + "/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": env["SALESFORCE_CLIENT_ID"],
            "client_secret": env["SALESFORCE_CLIENT_SECRET"],
        },
        verify=verify,
        timeout=30,
    ).json()
    response = session.patch(
        f"{token['instance_url']}/services/data/v62.0/sobjects/Service_Level_Intervention__c/{record_id}",
        json=fields,
        headers={"Authorization": f"Bearer {token['access_token']}"},
        verify=verify,
        timeout=30,
    )
    assert response.status_code == 204, response.text


def test_explain_and_plan_over_the_served_sandbox(
    served: tuple[dict[str, str], DemoSummary], tmp_path: Path
) -> None:
    env, summary = served
    assert crm_sync("run", "--once", "--backfill", env=env).returncode == 0
    new_sli = summary.cases["salesforce.sli_new_no_plan"]
    edit_sli(env, new_sli, Intervention_Plan__c="Replace the caregiver; call the client on Friday")
    second = crm_sync("run", "--once", env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    before = row_counts(env["CRM_SYNC_DATABASE_URL"])

    # Why did the 24-hour reminder not go out? The plan was filled in: the timeline and the values say so.
    explained = crm_sync("explain", f"salesforce.sli:{new_sli}", env=env)
    assert explained.returncode == 0, explained.stderr
    text = explained.stdout
    assert 'Intervention_Plan__c: null -> "Replace the caregiver; call the client on Friday"' in text
    assert (
        "sli-plan-reminder-24h: cancelled" in text and "unless became true before the timer was due" in text
    )
    assert "unless: record.Intervention_Plan__c is not blank -> true" in text
    assert "sli-alert-on-submission: fired" in text and "action notify delivered, 1 attempt: to " in text
    assert "sli-name-format: not matched (when is false)" in text

    # Who got the alert, who did not and why, as JSON.
    inactive = summary.cases["salesforce.sli_inactive_referral_owner"]
    report = json.loads(crm_sync("explain", f"salesforce.sli:{inactive}", "--json", env=env).stdout)
    rules = {rule["rule"]: rule for rule in report["rules"]}
    alert = rules["sli-alert-on-submission"]
    assert alert["state"] == "fired" and {a["status"] for a in alert["actions"]} == {"delivered"}
    assert all(a["recipients"] for a in alert["actions"] if a["kind"] == "notify")
    assert [s["role"] for s in alert["skipped"]] == ["referral_account_owner"]
    assert alert["skipped"][0]["reason"].startswith("inactive user")
    assert rules["sli-unresolved-30d"]["state"] == "armed"
    assert [entry["kind"] for entry in report["timeline"]] == ["first_seen"]

    rejected = json.loads(crm_sync("explain", f"hubspot.nps:{summary.nps['N/A']}", "--json", env=env).stdout)
    assert "is not an NPS score" in rejected["rejected"]["reason"]

    # What is due: by day and rule, with recipients; the filled-in plan's reminder is not among them.
    plan = json.loads(crm_sync("plan", "--days", "40", "--json", env=env).stdout)
    timers = [t | {"rule": r["rule"]} for day in plan["by_day"] for r in day["rules"] for t in r["timers"]]
    assert plan["count"] == len(timers) + len(plan["overdue"]) > 0
    assert f"salesforce.sli:{new_sli}" not in {
        t["record"] for t in timers if t["rule"] == "sli-plan-reminder-24h"
    }
    unresolved = [t for t in timers if t["rule"] == "sli-unresolved-30d"]
    assert unresolved and all(t["then"]["state"] == "fired" and t["then"]["recipients"] for t in unresolved)
    plain = crm_sync("plan", env=env)
    assert plain.returncode == 0 and plain.stdout.startswith("Due by ")

    # What an edit would change: escalating after 20 days instead of 30 moves every armed escalation.
    config = (ROOT / "config.yaml").read_text()
    edited = config.replace("delay: 30d}", "delay: 20d}").replace(
        "templates: templates", f"templates: {ROOT / 'templates'}"
    )
    other = tmp_path / "escalate-sooner.yaml"
    other.write_text(edited)
    compared = json.loads(crm_sync("plan", "--compare", str(other), "--json", env=env).stdout)
    moved = {c["record"] for c in compared["changes"] if c["rule"] == "sli-unresolved-30d"}
    assert moved == {t["record"] for t in timers if t["rule"] == "sli-unresolved-30d"} | {
        c["record"] for c in compared["changes"] if c["change"] == "fires"
    }
    assert compared["counts"].get("moves", 0) + compared["counts"].get("fires", 0) == len(moved)

    # Bad input: a clear message and exit 2.
    for args, message in [
        (("explain", "salesforce.sli:a0XNOTTHERE000000A"), "no record salesforce.sli:a0XNOTTHERE000000A"),
        (("plan", "--compare", str(tmp_path / "missing.yaml")), "is not a valid configuration"),
    ]:
        bad = crm_sync(*args, env=env)
        assert bad.returncode == 2 and message in bad.stderr, (args, bad.stdout, bad.stderr)

    assert row_counts(env["CRM_SYNC_DATABASE_URL"]) == before  # explain and plan wrote nothing
