"""``crm-sync daemon``: one active daemon per store runs cycles on the schedule; others wait as standbys.

A daemon first takes the worker lock (:class:`sync.lock.ProcessLock`). While another process holds it,
the daemon is a standby: it holds no work, answers ``/healthz`` with ``standby`` and tries again every
quarter interval, so it takes over within one interval after the active daemon dies (the lock dies with
its process or its database session). Active, it runs a cycle every ``schedule.interval`` (or at the
times of ``schedule.cron``) in APScheduler, one at a time, coalescing missed runs; it checks that its
lock connection still answers every quarter interval and exits (1, for the service manager to restart
it as a standby) when it does not. SIGTERM/SIGINT stop it after the action in flight, within
``schedule.stop_timeout``. An edited config is picked up before the next cycle, or at once on SIGHUP;
an invalid edit is logged, located, and the running rules are kept.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import cast

import sqlalchemy as sa
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import make_url

from rules.model import RuleSet
from rules.source import ConfigError, ConfigErrors, Position
from sync.connectors.registry import load_config
from sync.engine import Engine, FirstRunRefused
from sync.lock import ProcessLock
from sync.ops.cycle import ObservedCycles
from sync.ops.health import Health
from sync.ops.logs import LogFormat, configure_logging
from sync.ops.metrics import Metrics, serve
from sync.ops.redact import Redactor, secret_values
from sync.store.database import resolve_url
from sync.wiring import Worker, open_database, open_worker, system_clock

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

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

    def refresh(self, force: bool = False) -> bool:
        """Reload if anything changed (or ``force``, on SIGHUP); True when new rules were swapped in."""
        now = fingerprint(self.engine.ruleset)
        if now == self.seen and not force:
            return False
        self.seen = now
        try:
            ruleset = load_config(self.path)
        except ConfigErrors as exc:
            log.error("config change ignored, keeping the running rules:\n%s", exc)
            return False
        running = self.engine.ruleset.settings
        sections = sorted(
            {*ruleset.settings.connections, *running.connections, "store", "schedule", "monitoring"}
        )
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


@dataclass
class _Control:
    """What the signal handlers ask of the main loop."""

    stop: threading.Event = field(default_factory=threading.Event)
    scheduler: BlockingScheduler | None = None
    reload: Callable[[], None] | None = None
    exit_code: int = EXIT_OK


def run_daemon(config: Path, backfill: bool = False, log_format: str | None = None, verbose: int = 0) -> int:
    ruleset = load_config(config)
    settings = ruleset.settings
    monitoring = settings.monitoring
    configure_logging(
        cast(LogFormat, log_format or monitoring.log_format),
        logging.DEBUG if verbose else logging.INFO,
        redactor_for(ruleset),
    )
    cycle_trigger(ruleset)  # a bad cron expression stops the daemon before it takes the lock
    interval = settings.schedule.interval.total
    health = Health(system_clock, interval, monitoring.stale_after)
    metrics = Metrics()
    server = serve(metrics, health, monitoring.listen, monitoring.port) if monitoring.port is not None else None
    control = _Control()
    _signals(control)
    database = open_database(ruleset)
    lock = ProcessLock(database, role="daemon")
    try:
        if not _wait_for_lock(lock, health, metrics, control, interval / 4):
            return EXIT_OK
        health.active()
        metrics.active.set(1)
        log.warning("active: holding the %s", lock.description)
        with open_worker(
            config, ruleset=ruleset, backfill=backfill, database=database, locked=True
        ) as worker:
            _schedule(worker, lock, health, metrics, control, config)
    finally:
        lock.release()
        if server is not None:
            server.shutdown()
    return control.exit_code


def cycle_trigger(ruleset: RuleSet) -> BaseTrigger:
    """When cycles run: ``schedule.cron`` in the config's time zone, else every ``schedule.interval``.
    Raises :class:`ConfigErrors` (located) for a cron expression APScheduler cannot read."""
    schedule = ruleset.settings.schedule
    if not schedule.cron:
        return IntervalTrigger(seconds=int(schedule.interval.total.total_seconds()))
    try:
        return CronTrigger.from_crontab(schedule.cron, timezone=ruleset.timezone)
    except ValueError as exc:
        lines = ruleset.path.read_text(encoding="utf-8").splitlines()
        line, col = next(
            ((n, len(text) - len(text.lstrip()) + 1) for n, text in enumerate(lines, 1) if text.lstrip().startswith("cron:")),
            (1, 1),
        )
        error = ConfigError(Position(str(ruleset.path), line, col), ("schedule", "cron"), f"{exc}")
        raise ConfigErrors([error]) from None


def _wait_for_lock(
    lock: ProcessLock, health: Health, metrics: Metrics, control: _Control, pace: timedelta
) -> bool:
    """Take the lock, waiting as a standby as long as needed; False when stopped while waiting."""
    announced = False
    while not control.stop.is_set():
        try:
            if lock.acquire():
                return True
        except sa.exc.DBAPIError as exc:  # the database is away: keep waiting, say why
            log.error("standby: cannot reach the database: %s", str(exc).splitlines()[0])
            lock.release()
        if not announced:
            log.warning(
                "standby: another daemon is active (%s); trying every %ss",
                lock.holder(),
                pace.total_seconds(),
            )
            announced = True
        health.standby(lock.holder())
        metrics.active.set(0)
        control.stop.wait(pace.total_seconds())
    return False


def _schedule(
    worker: Worker, lock: ProcessLock, health: Health, metrics: Metrics, control: _Control, config: Path
) -> None:
    schedule = worker.ruleset.settings.schedule
    reloader = ConfigReloader(config, worker.engine)
    cycles = ObservedCycles(worker.engine, metrics, health)
    busy = threading.Lock()  # a cycle and a reload never overlap
    scheduler = BlockingScheduler(timezone="UTC")
    worker.engine.stopping = control.stop.is_set

    def cycle() -> None:
        with busy:
            if control.stop.is_set():
                return
            if not lock.alive():
                _lost(lock, health, control, scheduler)
                return
            reloader.refresh()
            try:
                cycles.run(mode="daemon")
            except FirstRunRefused as exc:
                log.error("%s; stopping", exc)
                control.exit_code = EXIT_USAGE
                control.stop.set()
                scheduler.shutdown(wait=False)
            except Exception:
                log.exception("cycle failed")

    def watch() -> None:
        if not busy.acquire(blocking=False):
            return  # a cycle is running: it checks the lock itself
        try:
            if not control.stop.is_set() and not lock.alive():
                _lost(lock, health, control, scheduler)
        finally:
            busy.release()

    def reload() -> None:
        with busy:
            reloader.refresh(force=True)

    pace = max(1, int(schedule.interval.total.total_seconds() / 4))
    trigger = cycle_trigger(worker.ruleset)
    scheduler.add_job(
        cycle,
        trigger,
        id="cycle",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=max(1, int(schedule.misfire_grace.total.total_seconds())),
        next_run_time=worker.engine.wall_clock(),
    )
    scheduler.add_job(watch, IntervalTrigger(seconds=pace), id="watch", max_instances=1, coalesce=True)
    control.scheduler = scheduler
    control.reload = lambda: scheduler.add_job(reload, id="reload", replace_existing=True)
    log.warning(
        "daemon started: %s", f"cron {schedule.cron!r}" if schedule.cron else f"every {schedule.interval}"
    )
    if not control.stop.is_set():
        scheduler.start()
    control.scheduler = None
    if busy.acquire(timeout=schedule.stop_timeout.total.total_seconds()):
        busy.release()
        log.warning("stopped")
        return
    log.error(
        "the cycle in flight did not end within %s; exiting (actions already sent are recorded as "
        "attempted and are not sent twice)",
        schedule.stop_timeout,
    )
    logging.shutdown()
    os._exit(EXIT_FAILED)  # the cycle's thread would hold the exit: the lock goes with the process


def _lost(lock: ProcessLock, health: Health, control: _Control, scheduler: BlockingScheduler) -> None:
    problem = f"the database connection holding the {lock.description} was lost; a standby may take over"
    log.error("%s; exiting", problem)
    health.lost(problem)
    control.exit_code = EXIT_FAILED
    control.stop.set()
    scheduler.shutdown(wait=False)


def _signals(control: _Control) -> None:
    def stop(signum: int, _frame: FrameType | None) -> None:
        log.warning("%s: stopping after the action in flight", signal.Signals(signum).name)
        control.stop.set()
        if control.scheduler is not None and control.scheduler.running:
            control.scheduler.shutdown(wait=False)

    def hup(_signum: int, _frame: FrameType | None) -> None:
        if control.reload is None:
            log.warning("SIGHUP: not active yet; the config is read when this daemon takes over")
            return
        log.warning("SIGHUP: reloading the config")
        control.reload()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, hup)


def redactor_for(ruleset: RuleSet) -> Redactor:
    """A redactor that knows every secret in the config."""
    monitoring = ruleset.settings.monitoring
    dumped = {name: c.model_dump() for name, c in ruleset.settings.connections.items()}
    url = make_url(resolve_url(ruleset.settings.store.url, ruleset.path.parent))
    dumped["store"] = {"password": url.password or ""}
    return Redactor(secret_values(dumped), monitoring.redact_personal, monitoring.free_text_fields)


def _connection(ruleset: RuleSet, section: str) -> object:
    """A section's settings without its streams (streams and rules may change on reload)."""
    if section in ("store", "schedule", "monitoring"):
        return getattr(ruleset.settings, section)
    connection = ruleset.settings.connection(section)
    return connection.without_streams() if connection is not None else None
