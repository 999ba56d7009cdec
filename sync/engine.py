"""One cycle of the worker: poll every stream, re-check due timers, deliver what the ledger says is owed.

The imperative shell around :func:`rules.evaluate.evaluate`. Each polled page is evaluated and written
(records, outcomes, ledger actions, notices, rejections, the cursor) in one transaction, so a crash
replays at most one page, and the ledger's keys make the replay plan nothing twice.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from notifications.recipients import Directory
from rules.evaluate import Evaluation, History, evaluate
from rules.model import RuleSet, Stream
from rules.planner import Notice, PlannedAction, record_key
from sync.channels.base import Outlet
from sync.connectors.base import (
    Connector,
    ConnectorError,
    CrmUnavailable,
    Page,
    StoredSnapshots,
    TeamDirectory,
)
from sync.delivery import DeliveryReport, deliver_owed
from sync.ops.context import current_run
from sync.policy.rotation import next_in_turn
from sync.store.outcomes import history
from sync.store.tables import TrackedRecord
from sync.store.transaction import Store, Transaction

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
DUE_BATCH = 500


@dataclass
class CycleReport:
    """What one cycle did, for the CLI, the runs table and tests."""

    rules_now: datetime
    run_id: int | None = None
    polled: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)
    waiting: Counter[str] = field(default_factory=Counter)  # due timers kept for a cycle that can read
    unchanged: Counter[str] = field(default_factory=Counter)  # re-read records with nothing new
    reread: Counter[str] = field(default_factory=Counter)  # due records read again before deciding
    rule_changes: list[str] = field(default_factory=list)
    rejected: Counter[str] = field(default_factory=Counter)
    decisions: Counter[str] = field(default_factory=Counter)
    planned: list[PlannedAction] = field(default_factory=list)  # kept only when asked (dry runs, tests)
    planned_count: int = 0
    keep_planned: bool = True

    def add_planned(self, actions: Sequence[PlannedAction]) -> None:
        self.planned_count += len(actions)
        if self.keep_planned:
            self.planned.extend(actions)

    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> dict[str, Any]:
        return {
            "rules_now": self.rules_now.isoformat(),
            "polled": dict(self.polled),
            "deleted": dict(self.deleted),
            "waiting": dict(self.waiting),
            "unchanged": dict(self.unchanged),
            "reread": dict(self.reread),
            "rule_changes": self.rule_changes,
            "rejected": dict(self.rejected),
            "decisions": dict(self.decisions),
            "planned": self.planned_count,
            "delivery": self.delivery.summary(),
            "errors": self.errors,
        }


class FirstRunRefused(Exception):
    """A stream polled for the first time, with no ``since``, already has records: alerting on all of
    them is rarely what an admin wants, so the first run stops before it plans anything."""

    def __init__(self, stream: Stream) -> None:
        crm, key = stream.name.split(".", 1)
        super().__init__(
            f"{stream.name} already has records and this is its first poll: every one of them would "
            f"fire the rules as if new. Set {crm}.streams.{key}.since (e.g. the day crm-sync goes live, "
            "2026-12-01T00:00:00Z) to start from there, or run once with --backfill to process them all"
        )
        self.stream = stream.name


class Engine:
    """Runs cycles for one rule set against one store and a set of CRM adapters. Unless ``backfill``,
    a stream's first poll refuses records that were there before (see :class:`FirstRunRefused`)."""

    def __init__(
        self,
        ruleset: RuleSet,
        store: Store,
        connectors: Mapping[str, Connector],
        rules_clock: Clock,
        wall_clock: Clock,
        backfill: bool = True,
        keep_planned: bool = True,
        outlets: Mapping[str, Outlet] | None = None,
    ) -> None:
        self.backfill = backfill
        self.outlets = dict(outlets or {})  # channels (smtp, slack, teams), delivered before the CRMs
        self.keep_planned = keep_planned  # a backfill plans many actions: a daemon keeps counts only
        self.ruleset = ruleset
        self.store = store
        self.connectors = connectors
        self.rules_clock = rules_clock
        self.wall_clock = wall_clock
        self._teams: dict[str, Mapping[str, Sequence[Mapping[str, Any]]]] = {}
        self.stopping: Callable[[], bool] = lambda: False  # a daemon asked to stop: finish what is in flight
        self.progress: Callable[[str, int], None] = lambda stream, records: None  # after each polled page

    def run_cycle(self, deliver: bool = True, mode: str = "once") -> CycleReport:
        now = self.rules_clock()
        report = CycleReport(rules_now=now, keep_planned=self.keep_planned)
        self._teams = {}  # team membership is read afresh each cycle
        with self.store.transaction() as tx:
            run_id = tx.runs.start(self.wall_clock(), mode, now)
        report.run_id = run_id
        token = current_run.set(str(run_id))  # on every log line of this cycle
        try:
            self._run(run_id, now, report, deliver)
        finally:
            current_run.reset(token)
        return report

    def _run(self, run_id: int, now: datetime, report: CycleReport, deliver: bool) -> None:
        with self.store.transaction() as tx:  # rules edited while timers are armed: re-plan, keep, cancel
            report.rule_changes = [
                c.describe() for c in tx.rule_changes.apply(self.ruleset, self.wall_clock())
            ]
        for change in report.rule_changes:
            log.warning("%s", change)
        status, error = "failed", None
        try:
            unread = {
                s.name for s in self.ruleset.active_streams if self.stopping() or not self._poll(s, now, report)
            }
            if not self.stopping():
                self._process_due(now, report, unread)
            if self.ruleset.scheduled and not self.stopping():
                self._scheduled(now, report)
            if deliver:
                targets: dict[str, Outlet] = {**self.outlets, **self.connectors}
                report.delivery = deliver_owed(
                    self.store, targets, self.wall_clock, self.ruleset.settings.delivery, self.stopping
                )
            status = "ok" if report.ok else "failed"
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            report.errors.append(error)
            raise
        finally:
            with self.store.transaction() as tx:
                tx.runs.finish(
                    run_id, self.wall_clock(), status, report.summary(), error or "; ".join(report.errors)
                )

    def _scheduled(self, now: datetime, report: CycleReport) -> None:
        """Digests whose slot has come and metric rules that crossed: their emails join the ledger."""
        from sync.reports.scheduled import plan_scheduled

        with self.store.transaction() as tx:
            owed = plan_scheduled(self.ruleset, tx, now)
            report.add_planned(tx.ledger.add(owed, self.wall_clock()))

    # -- people: teams and round-robin turns ----------------------------------------------------

    def _directory(self, crm: str, tx: Transaction) -> Directory:
        """The CRM's teams (read once per cycle, only when a rule uses team roles) and whose turn is next."""
        roles = [r for r in self.ruleset.roles.values() if r.source and r.source.startswith(f"{crm}.")]
        if not any(r.team or r.round_robin for r in roles):
            return Directory()
        if crm not in self._teams:
            connector = self.connectors.get(crm)
            self._teams[crm] = connector.teams() if isinstance(connector, TeamDirectory) else {}
        teams = self._teams[crm]
        turns = {
            r.round_robin: member
            for r in roles
            if r.round_robin
            and (
                member := next_in_turn(teams.get(r.round_robin, ()), tx.rotations.last_member(r.round_robin))
            )
            is not None
        }
        return Directory(teams=teams, next_in_turn=turns)

    def _take_turns(self, crm: str, tx: Transaction, turns: Mapping[str, str]) -> Directory | None:
        """Record the round-robin turns a record's firings took; the next record sees the next member."""
        for team, member_id in turns.items():
            tx.rotations.take_turn(team, member_id, self.wall_clock())
        return self._directory(crm, tx) if turns else None

    # -- polling ---------------------------------------------------------------------------------

    def _poll(self, stream: Stream, now: datetime, report: CycleReport) -> bool:
        """Poll one stream to its end; False when it could not be read (the error is in the report)."""
        connector = self.connectors.get(stream.crm)
        if connector is None:
            report.errors.append(f"{stream.name}: no {stream.crm} connection is configured")
            return False
        with self.store.transaction() as tx:
            cursor = tx.cursors.get(stream.name)
            guard = not self.backfill and stream.since is None and not tx.cursors.known(stream.name)
        try:
            for page in connector.poll(stream, cursor, stored=self._stored(stream)):
                if guard and page.records:
                    raise FirstRunRefused(stream)
                guard = False
                self._ingest(stream, page, now, report)
                self.progress(stream.name, len(page.records))
            with self.store.transaction() as tx:
                if not tx.cursors.known(stream.name):  # polled to its end with nothing: known from now on
                    tx.cursors.set(stream.name, cursor, self.wall_clock())
        except FirstRunRefused:
            raise
        except CrmUnavailable as exc:
            report.errors.append(f"{stream.name}: polling paused: {exc}")
        except ConnectorError as exc:
            report.errors.append(f"{stream.name}: polling failed: {exc}")
            log.warning("polling %s failed: %s", stream.name, exc)
        except Exception as exc:  # an adapter bug must not stop the other streams, timers and delivery
            log.exception("polling %s failed", stream.name)
            report.errors.append(f"{stream.name}: polling failed: {type(exc).__name__}: {exc}")
        else:
            return True
        return False

    def _stored(self, stream: Stream) -> StoredSnapshots:
        """The stored snapshots of a stream's live records, for an adapter to skip re-reading them."""

        def stored(ids: Sequence[str]) -> dict[str, Mapping[str, Any]]:
            keys = {record_key(stream.name, str(rid)): str(rid) for rid in ids}
            with self.store.transaction() as tx:
                rows = tx.records.many(list(keys))
            return {keys[k]: row.snapshot for k, row in rows.items() if row.deleted_at is None}

        return stored

    def _ingest(
        self, stream: Stream, page: Page, now: datetime, report: CycleReport, polled: bool = True
    ) -> None:
        """Evaluate and store one page in one transaction (with its cursor when ``polled``). A polled
        record that has not changed since it was stored is skipped; a re-read one (due) never is."""
        with self.store.transaction() as tx:
            by_key: dict[str, dict[str, Any]] = {}
            for record in page.records:
                record_id = record.get(stream.id_field)
                if record_id in (None, ""):
                    report.errors.append(f"{stream.name}: a record without {stream.id_field} was skipped")
                    continue
                by_key[record_key(stream.name, str(record_id))] = record  # the later version of a repeat wins
            rows = tx.records.many(list(by_key))
            if polled:
                report.polled[stream.name] += len(by_key)
                for key in [k for k, record in by_key.items() if _unchanged(rows.get(k), record)]:
                    del by_key[key]  # re-read (the overlap) but not changed: nothing to decide or write
                    report.unchanged[stream.name] += 1
            else:
                report.reread[stream.name] += len(by_key)
            keys = list(by_key)
            outcomes = tx.outcomes.for_records(keys)
            rejected = tx.rejections.for_records(keys)
            tx.notices.load(keys)
            directory = self._directory(stream.crm, tx) if by_key else Directory()  # teams: only when needed
            owed: list[PlannedAction] = []  # added to the ledger once for the page
            for key, record in by_key.items():
                row = rows.get(key)
                record_id = str(record[stream.id_field])
                evaluation = self._evaluate(
                    stream, key, record, history(row, outcomes[key]), now, directory, tx, report
                )
                row = tx.records.save_snapshot(stream.name, key, record_id, record, self.wall_clock(), row)
                if evaluation is None:
                    row.next_due = self._retry_at()  # re-checked (re-read) next cycle
                    continue
                directory = self._take_turns(stream.crm, tx, evaluation.turns) or directory
                if evaluation.rejection is not None:
                    tx.rejections.reject(stream.name, key, record_id, evaluation.rejection.reason, now)
                    row.next_due = None
                    report.rejected[stream.name] += 1
                    continue
                if key in rejected:
                    tx.rejections.clear(rejected[key])
                tx.apply(row, outcomes[key], evaluation, now)
                owed.extend(evaluation.actions)
                report.decisions.update(d.outcome.state for d in evaluation.decisions)
            report.add_planned(tx.ledger.add(owed, self.wall_clock()))
            deleted = [record_key(stream.name, rid) for rid in page.deleted_ids]
            report.deleted[stream.name] += tx.mark_deleted(deleted, now)
            if polled:
                tx.cursors.set(stream.name, page.cursor, self.wall_clock())

    def _evaluate(
        self,
        stream: Stream,
        key: str,
        record: Mapping[str, Any],
        history: History,
        now: datetime,
        directory: Directory,
        tx: Transaction,
        report: CycleReport,
    ) -> Evaluation | None:
        """Evaluate one record; a failure (a bug, a record no rule foresaw) is a notice on that record,
        not a stuck stream: the caller keeps its snapshot and re-checks it next cycle."""
        try:
            return evaluate(self.ruleset, stream, record, history, now, directory)
        except Exception as exc:
            log.exception("evaluating %s failed", key)
            tx.notices.add(
                key, [Notice("*", "error", f"evaluation failed: {type(exc).__name__}: {exc}")], now
            )
            report.errors.append(f"{key}: evaluation failed: {type(exc).__name__}: {exc}")
            return None

    def _retry_at(self) -> datetime:
        return self.wall_clock() + self.ruleset.settings.schedule.interval.total

    # -- level-triggered timers ------------------------------------------------------------------

    def _process_due(self, now: datetime, report: CycleReport, unread: set[str]) -> None:
        """Decide every timer due at ``now`` on the CRM as it is now: the due records (and everything
        their fields reach) are read again, in batches, and evaluated on that; a record gone since is
        a deletion. A stream that could not be read this cycle keeps its due timers for one that can:
        they never decide on a stale copy."""
        position: tuple[datetime, str] | None = None
        while True:
            due: dict[str, list[str]] = {}
            active = {stream.name for stream in self.ruleset.active_streams}
            with self.store.transaction() as tx:
                rows = tx.records.due(now, position, DUE_BATCH)
                if not rows:
                    return
                last = rows[-1]
                assert last.next_due is not None
                position = (last.next_due, last.key)
                for row in rows:
                    stream = self.ruleset.streams.get(row.stream)
                    if stream is None or stream.name not in active:
                        row.next_due = None  # the stream (or every rule reading it) was removed
                        tx.records.save(row)
                    elif stream.name in unread:
                        report.waiting[stream.name] += 1
                    else:
                        due.setdefault(stream.name, []).append(row.record_id)
            for name, ids in due.items():
                stream = self.ruleset.streams[name]
                page = self._reread(stream, ids, report)
                if page is None:
                    unread.add(name)
                    report.waiting[name] += len(ids)
                    continue
                self._ingest(stream, page, now, report, polled=False)

    def _reread(self, stream: Stream, ids: list[str], report: CycleReport) -> Page | None:
        """The due records as the CRM has them now, or ``None`` (reported) when it cannot be read."""
        connector = self.connectors.get(stream.crm)
        if connector is None:
            return None
        try:
            return connector.reread(stream, ids)
        except ConnectorError as exc:
            report.errors.append(f"{stream.name}: due timers wait: re-reading failed: {exc}")
        except Exception as exc:  # an adapter bug: the timers wait, the cycle goes on
            log.exception("re-reading %s failed", stream.name)
            report.errors.append(f"{stream.name}: due timers wait: {type(exc).__name__}: {exc}")
        return None


def _unchanged(row: TrackedRecord | None, record: Mapping[str, Any]) -> bool:
    """A live record seen before with exactly this content."""
    return row is not None and row.deleted_at is None and row.snapshot == record
