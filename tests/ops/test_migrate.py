"""``crm-sync migrate``: applies pending migrations, ``--check`` reports them (exit 1), and a database
migrated by a newer crm-sync is refused by every command that would write to it (exit 78)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from sync.cli import main
from sync.connectors.registry import load_config
from sync.store.database import alembic_config, schema_state
from sync.wiring import open_database
from tests.test_cli import NO_RULES


@pytest.fixture
def config(write_config: Callable[..., Path], database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CRM_SYNC_DATABASE_URL", database_url)
    return write_config(NO_RULES)


def _engine(config: Path) -> sa.engine.Engine:
    return open_database(load_config(config))


def test_check_then_migrate_then_check(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    engine = _engine(config)
    with engine.begin() as connection:  # an older crm-sync's schema: the first revision only
        cfg = alembic_config(engine.url.render_as_string(hide_password=False))
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0001")
    assert main(["migrate", "--check", "-c", str(config)]) == 1
    assert "migration(s) pending" in capsys.readouterr().out
    assert schema_state(engine).current == ("0001",)  # --check changed nothing
    assert main(["migrate", "-c", str(config)]) == 0
    assert "migrated to" in capsys.readouterr().out
    assert main(["migrate", "--check", "-c", str(config)]) == 0
    assert "up to date" in capsys.readouterr().out
    engine.dispose()


def test_a_database_newer_than_the_code_is_refused(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "-c", str(config)]) == 0
    engine = _engine(config)
    with engine.begin() as connection:  # as a newer crm-sync leaves it
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    engine.dispose()
    capsys.readouterr()
    assert main(["migrate", "--check", "-c", str(config)]) == 78
    assert main(["run", "--once", "-c", str(config)]) == 78
    err = capsys.readouterr().err
    assert "9999_from_the_future" in err and "upgrade crm-sync" in err
    assert main(["status", "-c", str(config)]) == 78
