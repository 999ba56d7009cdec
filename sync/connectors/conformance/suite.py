"""The conformance tests every adapter passes: polling (paging, cursor, overlap, deletions) and delivery
(idempotent for each declared kind, once after a lost answer, deferred on a spent budget).

Subclass :class:`ConnectorConformance` in a test module and list the drivers; each test runs once per
driver (and per action kind the driver's adapter declares, for the delivery tests)::

    class TestConformance(ConnectorConformance):
        drivers = [FakeDriver, SalesforceDriver, HubSpotDriver]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar, TypeVar

import pytest

from sync.connectors.base import ConnectorError, CrmUnavailable
from sync.connectors.conformance.driver import ConformanceDriver, Feature
from sync.connectors.conformance.support import (
    as_retry,
    check_delivered,
    check_resumable,
    check_written_once,
    create,
    deleted,
    deliver,
    every_kind,
    ids,
    owed,
    poll,
    reread,
    snapshots,
)

F = TypeVar("F", bound=Callable[..., Any])
NEEDS = "conformance_needs"


def needs(feature: Feature) -> Callable[[F], F]:
    """Mark a test that drivers listing ``feature`` in ``unsupported`` skip, with their reason."""

    def mark(test: F) -> F:
        setattr(test, NEEDS, feature)
        return test

    return mark


def parametrize(metafunc: pytest.Metafunc, drivers: Sequence[type[ConformanceDriver]]) -> None:
    """One case per driver, or per driver and declared kind when the test takes ``kind``."""
    if "driver" not in metafunc.fixturenames:
        return
    feature: Feature | None = getattr(metafunc.function, NEEDS, None)
    per_kind = "kind" in metafunc.fixturenames
    cases = []
    for driver in drivers:
        reason = driver.unsupported.get(feature) if feature else None
        marks = [pytest.mark.skip(reason=f"{driver.name()}: {reason}")] if reason else []
        kinds = sorted(driver.spec.capabilities) if per_kind else [None]
        for kind in kinds:
            values = (driver, kind) if per_kind else (driver,)
            name = f"{driver.name()}-{kind}" if per_kind else driver.name()
            cases.append(pytest.param(*values, marks=marks, id=name))
    metafunc.parametrize(["driver", "kind"] if per_kind else ["driver"], cases, indirect=["driver"])


class ConnectorConformance:
    """The suite; a subclass named ``Test...`` with ``drivers`` set runs it."""

    drivers: ClassVar[Sequence[type[ConformanceDriver]]] = ()

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        parametrize(metafunc, self.drivers)

    @pytest.fixture
    def driver(self, request: pytest.FixtureRequest) -> Iterator[ConformanceDriver]:
        with request.param() as driver:
            yield driver

    # -- polling -----------------------------------------------------------------------------

    def test_paging_brings_every_change_once(self, driver: ConformanceDriver) -> None:
        made = create(driver, 2 * driver.page_size + 1)
        pages = poll(driver, None)
        full = [page for page in pages if page.records]
        assert len(full) >= 3, f"{len(made)} records came on {len(full)} pages of at most {driver.page_size}"
        assert max(len(page.records) for page in pages) <= driver.page_size
        assert sorted(ids(driver, pages)) == sorted(made), "each changed record once"
        assert all(page.cursor is not None for page in pages), "every page carries the cursor after it"

    def test_paging_through_changes_made_at_one_instant(self, driver: ConformanceDriver) -> None:
        made = [driver.create() for _ in range(2 * driver.page_size + 1)]  # a bulk import
        pages = poll(driver, None)
        assert sorted(ids(driver, pages)) == sorted(made), "each changed record once"
        check_resumable(driver, pages)

    def test_a_poll_resumed_after_any_page_loses_nothing(self, driver: ConformanceDriver) -> None:
        create(driver, 2 * driver.page_size + 1)
        check_resumable(driver, poll(driver, None))

    def test_polling_again_from_the_last_cursor_brings_no_new_version(
        self, driver: ConformanceDriver
    ) -> None:
        create(driver, 3)
        pages = poll(driver, None)
        seen = snapshots(driver, pages)
        again = poll(driver, pages[-1].cursor)
        for record_id, record in snapshots(driver, again).items():
            assert record == seen.get(record_id), f"{record_id} came again, changed or new"
        assert deleted(again) == []

    def test_records_older_than_the_overlap_are_not_read_again(self, driver: ConformanceDriver) -> None:
        old = create(driver, 2)
        driver.advance(driver.overlap.total_seconds() + 60)
        create(driver, 1)
        pages = poll(driver, None)
        again = set(ids(driver, poll(driver, pages[-1].cursor)))
        assert not again & set(old), f"read again from before the overlap: {sorted(again & set(old))}"

    def test_a_changed_record_is_polled_again(self, driver: ConformanceDriver) -> None:
        record_id, _ = create(driver, 2)
        pages = poll(driver, None)
        before = snapshots(driver, pages)[record_id]
        driver.update(record_id)
        driver.advance(1)
        again = snapshots(driver, poll(driver, pages[-1].cursor))
        assert record_id in again, "a record changed after the cursor was not polled"
        assert again[record_id] != before, "the changed record came unchanged"

    def test_a_change_made_while_a_poll_pages_is_not_lost(self, driver: ConformanceDriver) -> None:
        made = create(driver, 2 * driver.page_size + 1)
        connector = driver.connector()
        try:
            polling = iter(connector.poll(driver.stream(), None))
            first = next(polling)
            changed = [ids(driver, [first])[0], made[-1]]  # one already read, one not yet
            for record_id in changed:
                driver.update(record_id)
            driver.advance(1)
            pages = [first, *polling]
        finally:
            connector.close()
        latest = {**snapshots(driver, pages), **snapshots(driver, poll(driver, pages[-1].cursor))}
        current = snapshots(driver, poll(driver, None))
        for record_id in changed:
            assert latest[record_id] == current[record_id], f"the change to {record_id} was lost"

    @needs("late_commits")
    def test_a_late_commit_within_the_overlap_is_read(self, driver: ConformanceDriver) -> None:
        create(driver, 2)
        pages = poll(driver, None)
        seen = snapshots(driver, pages)
        half = driver.overlap.total_seconds() / 2
        driver.advance(-half)  # committed late: stamped before records the last poll already saw
        late = driver.create()
        driver.advance(half)
        again = snapshots(driver, poll(driver, pages[-1].cursor))
        assert late in again, "a record stamped within the overlap before the cursor was missed"
        repeats = {record_id: record for record_id, record in again.items() if record_id in seen}
        assert repeats == {record_id: seen[record_id] for record_id in repeats}, "a repeat differs"

    @needs("deletions")
    def test_a_deleted_record_is_reported(self, driver: ConformanceDriver) -> None:
        _, gone = create(driver, 2)
        pages = poll(driver, None)
        driver.delete(gone)
        driver.advance(1)
        again = poll(driver, pages[-1].cursor)
        assert gone in deleted(again), "a deletion after the cursor was not reported"
        assert gone not in ids(driver, again), "a deleted record came as a record"

    def test_a_reread_brings_each_record_as_it_is_now(self, driver: ConformanceDriver) -> None:
        made = create(driver, 3)
        pages = poll(driver, None)
        driver.update(made[1])
        driver.advance(1)
        current = snapshots(driver, poll(driver, None))
        fresh = reread(driver, made)
        assert sorted(ids(driver, [fresh])) == sorted(made), "a due record was not read again"
        assert snapshots(driver, [fresh]) == {i: current[i] for i in made}, "a re-read is not current"
        assert snapshots(driver, [fresh])[made[1]] != snapshots(driver, pages)[made[1]]
        assert not fresh.deleted_ids

    @needs("deletions")
    def test_a_reread_reports_a_record_gone_since(self, driver: ConformanceDriver) -> None:
        kept, gone = create(driver, 2)
        poll(driver, None)
        driver.delete(gone)
        fresh = reread(driver, [kept, gone])
        assert ids(driver, [fresh]) == [kept] and deleted([fresh]) == [gone]

    # -- delivery ----------------------------------------------------------------------------

    def test_delivery_of_each_kind_is_idempotent(self, driver: ConformanceDriver, kind: str) -> None:
        action = owed(driver, kind, driver.create())
        connector = driver.connector()
        try:
            first = connector.deliver([action])
            retry = connector.deliver([as_retry(action)])
        finally:
            connector.close()
        check_delivered(first, [action])
        check_delivered(retry, [action])
        check_written_once(driver, [action])

    @needs("lost_answers")
    def test_a_retry_after_a_lost_answer_writes_once(self, driver: ConformanceDriver, kind: str) -> None:
        action = owed(driver, kind, driver.create())
        driver.lose_next_answer()
        try:
            [first] = deliver(driver, [action])
        except ConnectorError:
            pass  # delivery records the batch as failed, to be retried
        else:
            assert first.status != "failed" or first.retryable, (
                f"a write that happened is dead: {first.error}"
            )
        assert len(driver.written(action)) == 1, "the CRM did not carry out the write whose answer was lost"
        check_delivered(deliver(driver, [as_retry(action)]), [action])  # a new adapter, as after a crash
        check_written_once(driver, [action])

    def test_an_attempt_that_never_reached_the_crm_is_made_on_retry(
        self, driver: ConformanceDriver, kind: str
    ) -> None:
        action = as_retry(owed(driver, kind, driver.create()))  # marked tried, then the worker died
        check_delivered(deliver(driver, [action]), [action])
        check_written_once(driver, [action])

    def test_a_batch_of_every_kind_answers_each_action(self, driver: ConformanceDriver) -> None:
        actions = every_kind(driver, driver.create())
        check_delivered(deliver(driver, actions), actions)
        check_written_once(driver, actions)

    def test_a_spent_budget_defers_delivery_and_writes_nothing(self, driver: ConformanceDriver) -> None:
        actions = every_kind(driver, driver.create())
        driver.exhaust_budget()
        try:
            results = deliver(driver, actions)
        except CrmUnavailable:
            pass  # delivery defers the whole batch
        else:
            assert sorted(r.key for r in results) == sorted(a.key for a in actions), "one result per action"
            assert {r.status for r in results} == {"deferred"}, [(r.key, r.status, r.error) for r in results]
        written = {action.kind: driver.written(action) for action in actions}
        assert not any(written.values()), f"written although the budget is spent: {written}"
