"""``crm-sync daemon``: run cycles on the configured interval (APScheduler) until SIGTERM/SIGINT.

The worker lock is held for the daemon's whole life, so a cron-started ``run --once`` exits with 75
instead of acting beside it. An edited config file, included file or template is picked up before the
next cycle; if the edit is invalid, the daemon logs every error and keeps running the last valid rules
(templates are compiled with the rules, so a template broken on disk never reaches a firing).
"""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from rules.model import RuleSet
from rules.source import ConfigErrors
from sync.connectors.registry import load_config
from sync.engine import Engine, FirstRunRefused
from sync.wiring import open_worker

log = logging.getLogger(__name__)


def fingerprint(ruleset: RuleSet) -> dict[Path, tuple[int, int] | None]:
    """The modification time and size of every file (and the templates folder) a rule set came from."""
    found: dict[Path, tuple[int, int] | None] = {}
    for path in ruleset.sources:
        try:
            stat = path.stat()
        except OSError:
            found[path] = None
            continue
        found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


class ConfigReloader:
    """Swaps in a new rule set when a file it came from changes and the new one is valid."""

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self.engine = engine
        self.seen = fingerprint(engine.ruleset)

    def refresh(self) -> bool:
        """Reload if anything changed; True when new rules were swapped in."""
        now = fingerprint(self.engine.ruleset)
        if now == self.seen:
            return False
        self.seen = now
        try:
            ruleset = load_config(self.path)
        except ConfigErrors as exc:
            log.error("config change ignored, keeping the running rules:\n%s", exc)
            return False
        running = self.engine.ruleset.settings
        sections = sorted({*ruleset.settings.connections, *running.connections, "store", "schedule"})
        changed = [
            name for name in sections if _connection(ruleset, name) != _connection(self.engine.ruleset, name)
        ]
        if changed or {s.crm for s in ruleset.active_streams} - set(self.engine.connectors):
            log.error(
                "config change ignored: %s changed; restart the daemon to apply connection settings",
                ", ".join(changed) or "a new CRM connection",
            )
            return False
        self.engine.ruleset = ruleset
        self.seen = fingerprint(ruleset)
        log.warning("config reloaded: %d rules", len(ruleset.rules))
        return True


def run_daemon(config: Path, backfill: bool = False) -> int:
    with open_worker(config, backfill=backfill) as worker:
        reloader = ConfigReloader(config, worker.engine)
        refused: list[str] = []
        scheduler = BlockingScheduler(timezone="UTC")

        def cycle() -> None:
            reloader.refresh()
            try:
                report = worker.engine.run_cycle(mode="daemon")
            except FirstRunRefused as exc:
                log.error("%s; stopping", exc)
                refused.append(str(exc))
                scheduler.shutdown(wait=False)
                return
            except Exception:
                log.exception("cycle failed")
                return
            log.info("cycle: %s", report.summary())
            for error in report.errors:
                log.error("%s", error)

        interval = worker.ruleset.settings.schedule.interval.total
        scheduler.add_job(
            cycle,
            IntervalTrigger(seconds=int(interval.total_seconds())),
            id="cycle",
            max_instances=1,
            coalesce=True,
            next_run_time=worker.engine.wall_clock(),
        )

        def stop(signum: int, _frame: FrameType | None) -> None:
            log.warning("signal %d: stopping after the current cycle", signum)
            scheduler.shutdown(wait=True)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.warning("daemon started: every %s", worker.ruleset.settings.schedule.interval)
        scheduler.start()
    return 0


def _connection(ruleset: RuleSet, section: str) -> object:
    """A section's settings without its streams (streams and rules may change on reload)."""
    if section in ("store", "schedule"):
        return getattr(ruleset.settings, section)
    connection = ruleset.settings.connection(section)
    return connection.without_streams() if connection is not None else None
