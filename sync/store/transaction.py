"""The store and its transactions.

``Store.transaction()`` yields a :class:`Transaction`, whose repositories (cursors, records, outcomes,
ledger, notices, rejections, rotations, runs, status and inspect queries) share one database session;
everything done through it commits together or not at all. That is how a page of records, the outcomes
and ledger actions it produced, and the cursor that fetched it are written in one transaction. The
session itself never leaves this package.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from rules.evaluate import Evaluation
from sync.store.cursors import Cursors
from sync.store.database import migrate
from sync.store.inspect import InspectQueries
from sync.store.ledger import Ledger
from sync.store.notices import Notices, Rejections
from sync.store.outcomes import Outcomes, RuleOutcomes
from sync.store.records import Records
from sync.store.rotations import Rotations
from sync.store.rule_changes import RuleChanges
from sync.store.runs import Runs
from sync.store.status import StatusQueries
from sync.store.tables import TrackedRecord

DELETED_IN_CRM = "record deleted in the CRM"


class Store:
    """The database, handing out transactions. In dry-run mode nothing is ever committed."""

    def __init__(self, database: Engine, dry_run: bool = False) -> None:
        self._database = database
        self.dry_run = dry_run
        self._dry_connection: Connection | None = None
        if dry_run:
            self._dry_connection = database.connect()
            self._dry_connection.begin()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        if self._dry_connection is not None:
            session = Session(
                bind=self._dry_connection, join_transaction_mode="create_savepoint", expire_on_commit=False
            )
        else:
            session = Session(self._database, expire_on_commit=False)
        try:
            with session.begin():
                tx = Transaction(session)
                yield tx
                tx.write_batched()
        finally:
            session.close()

    @property
    def database(self) -> Engine:
        """The SQLAlchemy engine (for instrumentation: statement counts, pool events)."""
        return self._database

    def migrate(self) -> None:
        """Bring the schema up to date (inside the never-committed transaction in dry-run mode)."""
        migrate(self._dry_connection if self._dry_connection is not None else self._database)

    def close(self) -> None:
        if self._dry_connection is not None:
            self._dry_connection.rollback()
            self._dry_connection.close()
            self._dry_connection = None
        self._database.dispose()


class Transaction:
    """One open transaction: the repositories, and the writes that span several of them."""

    def __init__(self, session: Session) -> None:
        self.cursors = Cursors(session)
        self.records = Records(session)
        self.outcomes = RuleOutcomes(session)
        self.ledger = Ledger(session)
        self.notices = Notices(session)
        self.rejections = Rejections(session)
        self.rotations = Rotations(session)
        self.runs = Runs(session)
        self.rule_changes = RuleChanges(session)
        self.status = StatusQueries(session)
        self.inspect = InspectQueries(session)

    def write_batched(self) -> None:
        """Insert the rows kept back to be written in one statement each (before the commit)."""
        self.notices.write_new()
        self.records.write_changes()

    def apply(
        self,
        row: TrackedRecord,
        outcomes: Outcomes,
        evaluation: Evaluation,
        now: datetime,
    ) -> None:
        """Record an evaluation's decisions and notices (at the rules' time ``now``); its actions are
        added to the ledger by the caller, a page at a time (:meth:`Ledger.add`)."""
        self.outcomes.decide(row.key, outcomes, evaluation.decisions)
        self.notices.add(row.key, evaluation.notices, now)
        row.next_due = evaluation.next_due
        self.records.save(row)

    def mark_deleted(self, keys: Sequence[str], now: datetime) -> int:
        """Records deleted in the CRM: their pending timers and undelivered actions are cancelled."""
        if not keys:
            return 0
        count = self.records.mark_deleted(keys, now)
        self.outcomes.cancel_armed(keys, now, DELETED_IN_CRM)
        self.ledger.cancel_owed(keys, now, DELETED_IN_CRM)
        return count
