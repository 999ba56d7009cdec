"""The doctor runs the checks each adapter declares (a new CRM brings its own), and only reports them."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from rules.actions.registry import registered as kinds_registered
from sync.cli import main
from sync.connectors.checks import CheckResult, Checks, run_checks, worst
from sync.connectors.registry import registered as connectors_registered
from sync.doctor.report import exit_code, format_json, format_lines
from tests.extension import pager_adapter
from tests.extension.sms_kind import SendSms
from tests.extension.test_extension import _write


@pytest.fixture
def extended() -> Iterator[None]:
    with kinds_registered(SendSms), connectors_registered(pager_adapter.SPEC):
        yield


def test_a_new_adapter_brings_its_own_checks(
    extended: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _write(tmp_path)
    assert main(["doctor", "--json", "-c", str(config)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["checks"] == [
        {"crm": "pager", "name": "inbox", "status": "ok", "message": "inbox.json is there", "fix": None}
    ]
    (tmp_path / "inbox.json").unlink()
    assert main(["doctor", "-c", str(config)]) == 1
    assert "BLOCKER  pager  inbox: inbox.json does not exist" in capsys.readouterr().out


def test_an_adapter_without_checks_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bare = dataclasses.replace(pager_adapter.SPEC, checks=None)
    with kinds_registered(SendSms), connectors_registered(bare):
        assert main(["doctor", "--json", "-c", str(_write(tmp_path))]) == 0
    [only] = json.loads(capsys.readouterr().out)["checks"]
    assert (only["crm"], only["status"]) == ("pager", "warning")


def test_a_check_that_raises_is_a_blocker_and_the_others_still_run() -> None:
    def check_broken(context: object, out: Checks) -> None:
        raise KeyError("fields")

    def check_fine(context: object, out: Checks) -> None:
        out.ok("fine", "all good")

    results = run_checks("crm", None, [check_broken, check_fine])
    assert [(r.name, r.status) for r in results] == [("broken", "blocker"), ("fine", "ok")]
    assert "KeyError" in results[0].message
    assert worst(results) == "blocker" and exit_code(results) == 1


def test_warnings_do_not_block() -> None:
    results = [
        CheckResult("a", "one", "ok", "fine"),
        CheckResult("b", "two", "warning", "odd", "look at it"),
    ]
    assert exit_code(results) == 0 and worst(results) == "warning"
    assert json.loads(format_json(results))["ok"] is True
    assert format_lines(results).splitlines() == [
        "ok       a  one: fine",
        "WARNING  b  two: odd",
        "            fix: look at it",
        "1 ok, 1 warning(s), 0 blocker(s): ready for the first run",
    ]
