"""Delivery: actions grouped by kind into batches of up to 100, one result per action.

Kinds run in dependency order (updates, tickets, tasks, emails) so tasks and emails of a submission
find the ticket made in the same batch. A kind's failure never fails the others: an API error fails
that kind's unanswered actions (retryable or not, as the error says) and a spent budget defers every
action not yet answered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from rules.actions.email import Notify, SendEmail
from rules.actions.task import CreateTask
from rules.actions.ticket import CreateTicket
from rules.actions.update import UpdateRecord
from sync.connectors.base import ConnectorError, CrmUnavailable, DeliveryResult, OwedAction, chunks

from .api import OBJECT_BATCH, HubSpotApi
from .context import SubmissionContext
from .emails import deliver_emails
from .lookups import Lookups
from .outcomes import Results
from .tasks import deliver_tasks
from .tickets import Pipelines, deliver_tickets
from .updates import deliver_updates

Stage = Callable[[SubmissionContext, Sequence[OwedAction], Results], None]


class Deliverer:
    """Carries out owed actions against HubSpot."""

    #: The action kinds HubSpot carries out.
    HANDLED = (UpdateRecord.name, CreateTicket.name, CreateTask.name, SendEmail.name, Notify.name)

    def __init__(self, api: HubSpotApi, lookups: Lookups, email_id: int, now: Callable[[], datetime]) -> None:
        self.api = api
        self.lookups = lookups
        self.pipelines = Pipelines(api)
        # (kinds, stage, batch size): emails go one send each, and their logs are batched inside.
        self.stages: list[tuple[frozenset[str], Stage, int | None]] = [
            (
                frozenset({UpdateRecord.name}),
                lambda ctx, batch, out: deliver_updates(api, batch, out),
                OBJECT_BATCH,
            ),
            (
                frozenset({CreateTicket.name}),
                lambda ctx, batch, out: deliver_tickets(api, ctx, self.pipelines, batch, out),
                OBJECT_BATCH,
            ),
            (
                frozenset({CreateTask.name}),
                lambda ctx, batch, out: deliver_tasks(api, ctx, batch, out, now),
                OBJECT_BATCH,
            ),
            (
                frozenset({SendEmail.name, Notify.name}),
                lambda ctx, batch, out: deliver_emails(api, ctx, batch, out, email_id, now),
                None,
            ),
        ]

    def deliver(self, actions: Sequence[OwedAction]) -> list[DeliveryResult]:
        results: Results = {}
        ctx = SubmissionContext(self.api, self.lookups, (a.record_id for a in actions))
        spent: CrmUnavailable | None = None
        for kinds, stage, size in self.stages:
            mine = [a for a in actions if a.kind in kinds]
            for batch in chunks(mine, size or max(1, len(mine))):
                if spent is None:
                    try:
                        stage(ctx, batch, results)
                    except CrmUnavailable as exc:
                        spent = exc
                    except ConnectorError as exc:
                        for action in batch:
                            results.setdefault(action.key, DeliveryResult.of_error(action.key, exc))
                if spent is not None:
                    for action in batch:
                        results.setdefault(action.key, DeliveryResult.of_error(action.key, spent))
        known = frozenset().union(*(kinds for kinds, _, _ in self.stages))
        return [
            results.get(a.key)
            or DeliveryResult.failed(
                a.key,
                f"the HubSpot adapter cannot {a.kind}" if a.kind not in known else "not attempted",
                retryable=a.kind in known,
            )
            for a in actions
        ]
