"""``crm-sync doctor`` against the served sandbox: the shipped config passes on an org set up as the
README says; each way of breaking that setup is the one blocker named, with exit code 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.testing import SandboxHandle
from sync.cli import main
from tests.doctor.conftest import CONFIG, ROOT, Doctor, blockers, statuses


def test_the_shipped_config_passes_on_a_set_up_org(doctor: Doctor) -> None:
    code, report = doctor()
    assert code == 0 and report["ok"] is True
    assert [c for c in report["checks"] if c["status"] != "ok"] == []
    checked = statuses(report)
    for name in (
        ("salesforce", "login"),
        ("salesforce", "api version"),
        ("salesforce", "stream salesforce.sli"),
        ("salesforce", "task external id"),
        ("salesforce", "feed tracking Service_Level_Intervention__c"),
        ("salesforce", "email deliverability"),
        ("salesforce", "email sender"),
        ("salesforce", "email allowance"),
        ("hubspot", "access token"),
        ("hubspot", "token scopes"),
        ("hubspot", "ticket key"),
        ("hubspot", "pipeline Customer Success / New"),
        ("hubspot", "team Customer Success"),
        ("smtp", "server"),
    ):
        assert checked[name] == "ok", name


def only_blocker(doctor: Doctor, crm: str, name: str, config: Path = CONFIG) -> str:
    """Run the doctor; exit 1 with exactly one blocker, this one; its message."""
    code, report = doctor(config)
    found = blockers(report)
    assert code == 1 and report["ok"] is False
    assert [(b["crm"], b["name"]) for b in found] == [(crm, name)], found
    assert found[0]["fix"]
    return str(found[0]["message"])


def test_a_field_the_stream_reads_is_missing(org: SandboxHandle, doctor: Doctor) -> None:
    org.sandbox.salesforce.drop_field("Service_Level_Intervention__c", "Intervention_Plan__c")
    message = only_blocker(doctor, "salesforce", "stream salesforce.sli")
    assert "Intervention_Plan__c" in message


def test_a_field_behind_a_relationship_is_missing(org: SandboxHandle, doctor: Doctor) -> None:
    org.sandbox.salesforce.drop_field("Region__c", "Division_Head__c")
    message = only_blocker(doctor, "salesforce", "stream salesforce.sli")
    assert "Office__r.Region__r.Division_Head__c" in message
    assert "Division_Head__r" in message  # the paths through the relationship are named too


@pytest.mark.parametrize(("flag", "said"), [("unique", "not Unique"), ("external_id", "not External ID")])
def test_the_task_key_is_not_an_external_unique_id(
    org: SandboxHandle, doctor: Doctor, flag: str, said: str
) -> None:
    org.sandbox.salesforce.alter_field("Task", "Crm_Sync_Key__c", **{flag: False})
    assert said in only_blocker(doctor, "salesforce", "task external id")


def test_feed_tracking_is_off_on_the_sli_object(
    org: SandboxHandle, doctor: Doctor, monkeypatch: pytest.MonkeyPatch
) -> None:
    off = frozenset({"Service_Level_Intervention__c"})
    monkeypatch.setattr(org.sandbox.salesforce.settings, "feed_tracking_off", off)
    message = only_blocker(doctor, "salesforce", "feed tracking Service_Level_Intervention__c")
    assert "feed tracking is off" in message


@pytest.mark.parametrize("level", ["system_email_only", "no_access"])
def test_deliverability_does_not_allow_email(
    org: SandboxHandle, doctor: Doctor, monkeypatch: pytest.MonkeyPatch, level: str
) -> None:
    monkeypatch.setattr(org.sandbox.salesforce.settings, "email_deliverability", level)
    assert "not permitted to send email" in only_blocker(doctor, "salesforce", "email deliverability")


def test_the_pinned_api_version_is_not_served(
    org: SandboxHandle, doctor: Doctor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(org.sandbox.salesforce.settings, "api_versions", ("64.0", "65.0", "66.0"))
    message = only_blocker(doctor, "salesforce", "api version")
    assert "does not serve API 62.0" in message


def test_a_refused_login_stops_the_salesforce_checks(doctor: Doctor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESFORCE_CLIENT_SECRET", "wrong")
    only_blocker(doctor, "salesforce", "login")
    _, report = doctor()
    assert [c["name"] for c in report["checks"] if c["crm"] == "salesforce"] == ["login"]


def test_the_token_lacks_a_scope(org: SandboxHandle, doctor: Doctor, monkeypatch: pytest.MonkeyPatch) -> None:
    granted = tuple(s for s in org.sandbox.hubspot.settings.scopes if s != "tickets")
    monkeypatch.setattr(org.sandbox.hubspot.settings, "scopes", granted)
    message = only_blocker(doctor, "hubspot", "token scopes")
    assert "tickets (" in message


def test_the_transactional_email_id_is_zero(
    doctor: Doctor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HUBSPOT_TRANSACTIONAL_EMAIL_ID", "0")
    code, report = doctor()
    assert code == 0 and ("hubspot", "transactional email") not in statuses(report)
    config = edited_config(
        tmp_path,
        "template: nps_intro\n          channel: smtp",
        "template: nps_intro\n          channel: crm",
    )
    assert "transactional_email_id is 0" in only_blocker(doctor, "hubspot", "transactional email", config)


def test_a_wrong_smtp_password_is_a_blocker_before_the_first_run(
    doctor: Doctor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_SYNC_SMTP_PASSWORD", "not-the-password")
    message = only_blocker(doctor, "smtp", "login")
    assert "refused the login of crm-sync" in message and "535" in message


def test_an_smtp_server_that_does_not_answer_is_a_blocker(
    doctor: Doctor, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    monkeypatch.setenv("CRM_SYNC_SMTP_PORT", str(port))
    assert "cannot reach the SMTP server" in only_blocker(doctor, "smtp", "connect")


def edited_config(tmp_path: Path, old: str, new: str) -> Path:
    text = CONFIG.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new).replace("templates: templates", f"templates: {ROOT / 'templates'}")
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_pipeline_stage_the_config_names_is_missing(doctor: Doctor, tmp_path: Path) -> None:
    config = edited_config(tmp_path, "stage: New", "stage: Triage")
    message = only_blocker(doctor, "hubspot", "pipeline Customer Success / Triage", config)
    assert "'Triage'" in message and "Customer Success: New" in message


def test_a_team_the_roles_name_has_nobody(org: SandboxHandle, doctor: Doctor) -> None:
    org.sandbox.hubspot.seed_owner("bea@example.com", "Bea", "Pia", ["Sales"])  # left BPA
    message = only_blocker(doctor, "hubspot", "team BPA")
    assert "business_process_analysts" in message


def test_an_unknown_team_in_the_config(doctor: Doctor, tmp_path: Path) -> None:
    config = edited_config(tmp_path, "team: BPA", "team: Business Process Analysts")
    only_blocker(doctor, "hubspot", "team Business Process Analysts", config)


def test_lines_on_a_terminal(
    org: SandboxHandle, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(org.sandbox.salesforce.settings, "email_deliverability", "no_access")
    assert main(["doctor", "-c", str(CONFIG)]) == 1
    lines = capsys.readouterr().out.splitlines()
    blocker = next(i for i, line in enumerate(lines) if line.startswith("BLOCKER"))
    assert "salesforce  email deliverability: the org may not send email" in lines[blocker]
    assert lines[blocker + 1].strip() == "fix: in Setup > Deliverability, set 'Access level' to 'All email'"
    assert sum(line.startswith("ok ") for line in lines) >= 20
    assert lines[-1].endswith("1 blocker(s): blocked: fix the blockers, then run it again")


CHECK_IN_TASK = "          priority: Normal\n          status: Not Started\n          description: \"14-day check-in"


def test_a_task_type_is_create_only_and_passes(doctor: Doctor, tmp_path: Path) -> None:
    """TaskSubtype is settable on create only: the doctor must not call that unwritable."""
    config = edited_config(tmp_path, CHECK_IN_TASK, CHECK_IN_TASK.replace("priority:", "type: Call\n          priority:"))
    code, report = doctor(config)
    assert code == 0, blockers(report)
    assert "TaskSubtype" in next(c["message"] for c in report["checks"] if c["name"] == "task fields")


def test_a_task_type_salesforce_does_not_know(doctor: Doctor, tmp_path: Path) -> None:
    config = edited_config(tmp_path, CHECK_IN_TASK, CHECK_IN_TASK.replace("priority:", "type: Meeting\n          priority:"))
    message = only_blocker(doctor, "salesforce", "task fields", config)
    assert "'Meeting' is not a Salesforce TaskSubtype" in message


def test_the_daily_budget_is_reported_and_unknown_under_oauth(
    org: SandboxHandle, doctor: Doctor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OAuth-authorised calls carry no daily-limit headers: the budget is unknown, not spent nor endless."""
    _, report = doctor()
    line = next(c for c in report["checks"] if c["name"] == "daily API budget")
    assert line["status"] == "ok" and "of 250,000 calls used today" in line["message"]

    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", org.sandbox.hubspot.settings.oauth_access_token)
    code, report = doctor()

    line = next(c for c in report["checks"] if c["name"] == "daily API budget")
    assert code == 0 and line["status"] == "warning" and line["message"].startswith("unknown")
    assert statuses(report)[("hubspot", "token scopes")] == "ok"  # the OAuth token is introspected


def test_the_hubspot_api_version_is_reported_and_an_unserved_one_blocks(
    doctor: Doctor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUBSPOT_API_VERSION", "2026-03")
    code, report = doctor()
    line = next(c for c in report["checks"] if c["name"] == "api version" and c["crm"] == "hubspot")
    assert code == 0 and line["status"] == "ok" and line["message"].startswith("2026-03")

    monkeypatch.setenv("HUBSPOT_API_VERSION", "2031-03")
    code, report = doctor()
    assert code == 1
    assert statuses(report)[("hubspot", "api version")] == "blocker"
