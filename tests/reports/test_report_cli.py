"""``crm-sync report`` on a store holding the seeded history: each kind, each output, the filters."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from sync.cli import main
from sync.connectors.registry import load_config
from sync.reports.history import RecordHistory
from sync.store.tables import RecordChange, TrackedRecord
from sync.wiring import open_store
from tests.reports.seed import detractors, slis

HUBSPOT = """
hubspot:
  access_token: test-token
  streams:
    nps:
      object: feedback_submissions
      fields: [hs_value, hs_survey_type, hs_submission_timestamp]
"""
NOW = "2026-11-30T12:00:00Z"


def _store(config: Path, stream: str, histories: list[RecordHistory]) -> None:
    store = open_store(load_config(config))
    try:
        with store.transaction() as tx:
            for h in histories:
                key = f"{stream}:{h.record_id}"
                tx.records.save(
                    TrackedRecord(
                        key=key,
                        stream=stream,
                        record_id=h.record_id,
                        snapshot=dict(h.snapshot),
                        first_seen=h.first_seen,
                        last_seen=h.last_seen,
                    )
                )
                for change in h.changes:
                    tx.records._session.add(
                        RecordChange(
                            record_key=key,
                            seen_at=change.seen_at,
                            kind="changed",
                            changes={path: list(pair) for path, pair in change.fields.items()},
                        )
                    )
    finally:
        store.close()


@pytest.fixture
def config(write_config: Callable[..., Path]) -> Path:
    path = write_config(HUBSPOT)
    _store(path, "salesforce.sli", slis())
    _store(path, "hubspot.nps", detractors())
    return path


def test_each_report_from_the_store(config: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    c = ["-c", str(config), "--now", NOW]
    assert main(["report", "sli", "--week", "2026-W48", "--json", *c]) == 0
    sli = json.loads(capsys.readouterr().out)
    assert sli["tables"]["summary"][0] == {"measure": "opened", "2026-W48": 2, "before 2026-W48": 3}
    assert main(["report", "sli", "--week", "2026-W48", "--region", "South", "--by", "office", *c]) == 0
    text = capsys.readouterr().out
    assert "Service Level Interventions · South · 2026-W48" in text and "Miami" in text
    assert main(["report", "loop", "--since", "2026-11-02", "--until", "2026-11-29", "--csv", *c]) == 0
    assert "summary,response to first call,3,2,37.0,50.0,50.0" in capsys.readouterr().out
    assert main(["report", "sla", "--since", "2026-11-16", "--until", "2026-11-29", *c]) == 0
    assert "detractor called within 48 hours" in capsys.readouterr().out
    page = tmp_path / "nps.html"
    assert main(["report", "nps", "--period", "week", "--html", str(page), *c]) == 0
    assert 'id="nps_trend"' in page.read_text()


def test_usage_errors_are_clear(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = ["-c", str(config), "--now", NOW]
    assert main(["report", "loop", "--by", "region", *c]) == 2
    assert "cannot be grouped by 'region' (it takes: owner, company)" in capsys.readouterr().err
    assert main(["report", "sli", "--week", "2026-48", *c]) == 2
    assert "is not an ISO week" in capsys.readouterr().err
    assert main(["report", "loop", "--region", "North", *c]) == 2
    assert main(["report", "sli", "--week", "2026-W48", "--since", "2026-11-01", *c]) == 2
