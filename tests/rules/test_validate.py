"""`crm-sync validate`: every kind of bad config gives a located, readable error (and exit 2)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rules.source import ConfigErrors
from sync.cli import main
from sync.connectors.registry import load_config

GOOD_RULE = """
rules:
  - id: alert
    source: salesforce.sli
    actions:
      - notify: {to: [owner, director], subject: "SLI {{ record.Name }}", template: alert}
"""


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        load_config(path)
    return [str(e) for e in info.value.errors]


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_a_good_config_loads(write_config: Callable[..., Path]) -> None:
    ruleset = load_config(write_config(GOOD_RULE))
    assert [r.id for r in ruleset.rules] == ["alert"]
    assert ruleset.streams["salesforce.sli"].fields[0] == "Id"  # the id field is always fetched


def test_yaml_syntax_error_has_line_and_column(write_config: Callable[..., Path]) -> None:
    path = write_config("rules:\n  - id: alert\n    when: [unclosed\n")
    (error,) = errors_of(path)
    assert error.startswith(f"{path}:")
    assert "YAML syntax error" in error


def test_an_unclosed_bracket_names_where_it_opens_then_where_the_parser_gave_up(
    write_config: Callable[..., Path],
) -> None:
    path = write_config("roles:\n  a:\n    first_of: [b, c\n  d:\n    address: x@example.com\n")
    (error,) = errors_of(path)
    opened = line_of(path, "first_of: [b, c")
    assert error.startswith(f"{path}:{opened}:15: ")
    assert "in a flow sequence that starts here" in error and f"(at line {opened + 1}, column 4)" in error


def test_unknown_keys_are_errors_with_a_suggestion(write_config: Callable[..., Path]) -> None:
    path = write_config(
        GOOD_RULE.replace("    source: salesforce.sli", "    source: salesforce.sli\n    whn: 'true'")
        + "\nschedul: {interval: 5m}\n"
    )
    errors = errors_of(path)
    assert (
        f"{path}:{line_of(path, 'whn:')}:5: rules[0].whn: unknown key 'whn' (did you mean 'when'?)" in errors
    )
    assert (
        f"{path}:{line_of(path, 'schedul:')}:1: schedul: unknown section 'schedul' (did you mean 'schedule'?)"
        in errors
    )


def test_bad_duration(write_config: Callable[..., Path]) -> None:
    path = write_config(
        GOOD_RULE.replace("    actions:", "    after: {field: CreatedDate, delay: 24 hours}\n    actions:")
    )
    (error,) = errors_of(path)
    assert f":{line_of(path, 'delay: 24 hours')}:" in error
    assert "rules[0].after.delay: invalid duration '24 hours'" in error


def test_undefined_name_and_unknown_field_in_conditions(write_config: Callable[..., Path]) -> None:
    path = write_config(
        GOOD_RULE.replace("    actions:", '    when: "recrod.Name and record.Plan__c"\n    actions:')
    )
    errors = errors_of(path)
    assert any("rules[0].when: undefined name 'recrod' (did you mean 'record'?)" in e for e in errors)
    assert any("rules[0].when: record field 'Plan__c' is not in the stream's fields" in e for e in errors)


def test_role_path_must_be_in_the_source_field_list(write_config: Callable[..., Path]) -> None:
    path = write_config(GOOD_RULE + "\n")
    text = path.read_text().replace("email: Owner.Email", "email: Owner.Manager.Email")
    path.write_text(text)
    errors = errors_of(path)
    assert any(
        f":{line_of(path, 'email: Owner.Manager.Email')}:" in e
        and "roles.owner.email: 'Owner.Manager.Email' is not in the fields of salesforce.sli" in e
        for e in errors
    )


def test_missing_template_and_template_errors(write_config: Callable[..., Path]) -> None:
    path = write_config(GOOD_RULE.replace("template: alert", "template: alrt"))
    (error,) = errors_of(path)
    assert "rules[0].actions[0].notify.template: template 'alrt' not found" in error
    path = write_config(GOOD_RULE, templates={"alert.txt": "{{ record.Nmae }} {% if %}"})
    (error,) = errors_of(path)
    assert "alert.txt:1: syntax error" in error


def test_template_file_fields_are_checked(write_config: Callable[..., Path]) -> None:
    path = write_config(GOOD_RULE, templates={"alert.txt": "{{ record.Nmae }} {{ secret }}"})
    errors = errors_of(path)
    assert any("alert.txt: record field 'Nmae' is not in the stream's fields" in e for e in errors)
    assert any("alert.txt: undefined name 'secret'" in e for e in errors)


def test_unknown_role_unknown_source_and_unsupported_action(write_config: Callable[..., Path]) -> None:
    path = write_config(
        """
        rules:
          - id: a
            source: salesforce.sli
            actions:
              - notify: {to: [ownr], subject: x, template: alert}
              - create_ticket: {subject: x, pipeline: p, stage: s}
          - id: b
            source: hubspot.nps
            actions:
              - post_chatter: {body: x}
        """
    )
    errors = errors_of(path)
    assert any(
        "rules[0].actions[0].notify.to[0]: unknown role 'ownr' (did you mean 'owner'?)" in e for e in errors
    )
    assert any("rules[0].actions[1].create_ticket: salesforce cannot create_ticket" in e for e in errors)
    assert any("rules[1].source: unknown source 'hubspot.nps' (known: salesforce.sli)" in e for e in errors)


def test_unknown_action_kind_and_duplicate_rule_id(write_config: Callable[..., Path]) -> None:
    path = write_config(GOOD_RULE + GOOD_RULE.replace("rules:\n", "").replace("notify:", "notfy:"))
    errors = errors_of(path)
    assert any("rules[1].actions[0]: unknown action 'notfy' (did you mean 'notify'?)" in e for e in errors)
    path = write_config(GOOD_RULE + GOOD_RULE.replace("rules:\n", ""))
    assert any("rules[1].id: rule id 'alert' is already used by rules[0]" in e for e in errors_of(path))


def test_missing_environment_variable_is_named(
    write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRM_SYNC_TEST_SECRET", raising=False)
    path = write_config(GOOD_RULE)
    path.write_text(
        path.read_text().replace("client_secret: test-secret", "client_secret: ${CRM_SYNC_TEST_SECRET}")
    )
    (error,) = errors_of(path)
    assert (
        f"{path}:{line_of(path, 'client_secret:')}:3: salesforce.client_secret: environment variable CRM_SYNC_TEST_SECRET is not set"
        == error
    )
    monkeypatch.setenv("CRM_SYNC_TEST_SECRET", "from-env")
    assert load_config(path).settings.connections["salesforce"].client_secret == "from-env"  # type: ignore[attr-defined]


def test_secret_files(write_config: Callable[..., Path], tmp_path: Path) -> None:
    path = write_config(GOOD_RULE)
    (tmp_path / "secret.txt").write_text("from-file\n")
    path.write_text(path.read_text().replace("client_secret: test-secret", "client_secret_file: secret.txt"))
    assert load_config(path).settings.connections["salesforce"].client_secret == "from-file"  # type: ignore[attr-defined]
    path.write_text(
        path.read_text().replace("client_secret_file: secret.txt", "client_secret_file: nope.txt")
    )
    (error,) = errors_of(path)
    assert "salesforce.client_secret_file: cannot read nope.txt" in error


def test_includes_merge_and_errors_point_into_the_included_file(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    (tmp_path / "more.yaml").write_text(
        GOOD_RULE.replace("id: alert", "id: second").replace("template: alert", "template: nope")
    )
    path = write_config("include: [more.yaml]\n" + GOOD_RULE)
    (error,) = errors_of(path)
    assert error.startswith(f"{tmp_path / 'more.yaml'}:{line_of(tmp_path / 'more.yaml', 'template: nope')}:")
    assert "rules[1].actions[0].notify.template: template 'nope' not found" in error
    (tmp_path / "more.yaml").write_text(GOOD_RULE.replace("id: alert", "id: second"))
    assert [r.id for r in load_config(path).rules] == ["alert", "second"]


def test_duplicate_yaml_keys_are_errors(write_config: Callable[..., Path]) -> None:
    path = write_config(GOOD_RULE + "\ntimezone: UTC\n")
    (error,) = errors_of(path)
    assert "timezone" in error and "duplicate" in error.lower()


def test_every_error_is_reported_at_once(write_config: Callable[..., Path]) -> None:
    path = write_config(
        """
        rules:
          - id: a
            source: salesforce.sli
            after: 2 days
            actions:
              - notify: {to: [owner], subject: x, template: alert}
          - id: B!
            source: salesforce.sli
            actions: []
        """
    )
    errors = errors_of(path)
    assert len(errors) == 3
    assert any("rules[0].after.delay" in e for e in errors)
    assert any("rules[1].id" in e for e in errors)
    assert any("rules[1].actions" in e for e in errors)


def test_calendars_and_business_time(write_config: Callable[..., Path]) -> None:
    rule = GOOD_RULE.replace(
        "    actions:", "    after: {field: CreatedDate, delay: 2d, calendar: office}\n    actions:"
    )
    path = write_config("calendars:\n  office: {timezone: Mars/Olympus, country: US}\n" + rule)
    (error,) = errors_of(path)
    assert "calendars.office.timezone: unknown time zone 'Mars/Olympus'" in error
    path = write_config("calendars:\n  office: {timezone: America/New_York, country: XX}\n" + rule)
    assert any("calendars.office: invalid calendar" in e for e in errors_of(path))
    path = write_config(
        "calendars:\n  office: {timezone: America/New_York, country: US, hours: '08:30-17:30'}\n" + rule
    )
    timer = load_config(path).rules[0].timer
    assert timer is not None and timer.calendar is not None and timer.calendar.country == "US"


def test_cli_validate_exit_codes(
    write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_config(GOOD_RULE)
    assert main(["validate", "-c", str(good)]) == 0
    assert "OK: 1 rules" in capsys.readouterr().out
    good.write_text(good.read_text().replace("template: alert", "template: gone"))
    assert main(["validate", "-c", str(good)]) == 2
    err = capsys.readouterr().err
    assert f"{good}:" in err and "template 'gone' not found" in err and "1 error(s)" in err


def test_reference_config_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SALESFORCE_LOGIN_URL", "HUBSPOT_BASE_URL"):
        monkeypatch.setenv(name, "https://127.0.0.1:8443")
    for name in ("SALESFORCE_CLIENT_ID", "SALESFORCE_CLIENT_SECRET", "HUBSPOT_ACCESS_TOKEN"):
        monkeypatch.setenv(name, "x")
    ruleset = load_config(Path(__file__).resolve().parents[2] / "config.yaml")
    assert {s.name for s in ruleset.active_streams} == {"salesforce.sli", "hubspot.nps"}
    assert len(ruleset.rules) >= 8


def test_validate_offline_checks_rules_without_secrets(
    write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rules repository's CI has neither the secrets nor the mounted secret files."""
    from sync.cli import main

    monkeypatch.delenv("SF_SECRET", raising=False)
    path = write_config(GOOD_RULE)
    text = path.read_text().replace("client_secret: test-secret", "client_secret: ${SF_SECRET}")
    path.write_text(
        text.replace(
            "client_id: test-client", "client_id: test-client\n  private_key_file: /run/secrets/sf.key"
        )
    )
    assert main(["validate", "-c", str(path)]) == 2
    err = capsys.readouterr().err
    assert "environment variable SF_SECRET is not set" in err and "cannot read /run/secrets/sf.key" in err
    assert main(["validate", "--offline", "-c", str(path)]) == 0
    assert "OK: 1 rules" in capsys.readouterr().out
    path.write_text(path.read_text().replace("record.Name", "record.Nmae"))
    assert main(["validate", "--offline", "-c", str(path)]) == 2  # everything else is still checked
    assert "record field 'Nmae' is not in the stream's fields" in capsys.readouterr().err
