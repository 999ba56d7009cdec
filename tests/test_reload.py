"""The daemon picks up an edited config or template before its next cycle; a broken edit keeps the
running rules (and their compiled templates)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from rules.evaluate import History, evaluate
from rules.model import RuleSet
from sync.connectors.registry import load_config
from sync.daemon import ConfigReloader
from sync.engine import Engine
from tests.fakes import FakeCRM
from tests.rules.test_evaluate import ALERT
from tests.support import T0, sli_record


def _texts(ruleset: RuleSet) -> list[str | None]:
    stream = ruleset.streams["salesforce.sli"]
    result = evaluate(ruleset, stream, sli_record(), History(), T0)
    return [a.payload.dump()["text"] for a in result.actions if a.kind == "notify"]


def _touch(path: Path, text: str) -> None:
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a visibly newer file


@pytest.fixture
def reloader(write_config: Callable[..., Path]) -> ConfigReloader:
    config = write_config(ALERT)
    engine = SimpleNamespace(ruleset=load_config(config), connectors={"salesforce": FakeCRM()})
    return ConfigReloader(config, cast(Engine, engine))


def test_nothing_changed_nothing_reloaded(reloader: ConfigReloader) -> None:
    before = reloader.engine.ruleset
    assert reloader.refresh() is False
    assert reloader.engine.ruleset is before


def test_an_edited_template_is_used_from_the_next_cycle(reloader: ConfigReloader, tmp_path: Path) -> None:
    _touch(tmp_path / "templates" / "alert.txt", "New text for {{ record.Name }}")
    assert reloader.refresh() is True
    assert _texts(reloader.engine.ruleset) == ["New text for Client 1 - No Call No Show"] * 2


def test_a_broken_template_keeps_the_running_rules(
    reloader: ConfigReloader, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    before = _texts(reloader.engine.ruleset)
    _touch(tmp_path / "templates" / "alert.txt", "{% if %}")
    assert reloader.refresh() is False
    assert "config change ignored" in caplog.text and "alert.txt" in caplog.text
    assert _texts(reloader.engine.ruleset) == before


def test_a_new_template_file_is_noticed(reloader: ConfigReloader, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    _touch(config, config.read_text().replace("template: alert", "template: fresh"))
    assert reloader.refresh() is False  # the template does not exist yet: refused, rules kept
    (tmp_path / "templates" / "fresh.txt").write_text("Fresh {{ record.Name }}")
    os.utime(tmp_path / "templates", ns=(0, (tmp_path / "templates").stat().st_mtime_ns + 10**9))
    assert reloader.refresh() is True
    assert _texts(reloader.engine.ruleset) == ["Fresh Client 1 - No Call No Show"] * 2
