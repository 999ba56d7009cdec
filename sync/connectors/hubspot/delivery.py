"""Delivery: actions grouped by kind into batches of up to 100, one result per action.

Kinds run in dependency order (updates, tickets, tasks, emails) so tasks and emails of a record find
the ticket made in the same batch; each stream's records have their own :class:`.context.RecordContext`.
A kind's failure never fails the others: an API error fails that kind's unanswered actions (retryable
or not, as the error says) and a spent budget defers every action not yet answered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from rules.actions.email import Notify, SendEmail
from rules.actions.log_email import LogEmail
from rules.actions.task import CreateTask
from rules.actions.ticket import CreateTicket
from rules.actions.update import UpdateRecord
from sync.connectors.base import ConnectorError, CrmUnavailable, DeliveryResult, OwedAction, chunks

from .api import OBJECT_BATCH, HubSpotApi
from .context import Anchors, RecordContext
from .emails import deliver_emails, deliver_logs
from .outcomes import Results
from .seen import SeenRecords
from .tasks import deliver_tasks
from .tickets import Pipelines, deliver_tickets
from .updates import deliver_updates

Stage = Callable[[RecordContext, Sequence[OwedAction], Results], None]


def stream_of(action: OwedAction) -> str:
    """The stream an action is about: the second part of its key (``rule:stream:record:...``)."""
    return action.key.split(":")[1]


class Deliverer:
    """Carries out owed actions against HubSpot."""

    #: The action kinds HubSpot carries out.
    HANDLED = (
        UpdateRecord.name,
        CreateTicket.name,
        CreateTask.name,
        SendEmail.name,
        Notify.name,
        LogEmail.name,
    )

    def __init__(
        self,
        api: HubSpotApi,
        streams: Mapping[str, Anchors],
        email_id: int,
        now: Callable[[], datetime],
        seen: SeenRecords | None = None,
    ) -> None:
        self.api = api
        self.streams = streams
        self.seen = seen
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
            (
                frozenset({LogEmail.name}),
                lambda ctx, batch, out: deliver_logs(api, ctx, batch, out, now),
                OBJECT_BATCH,
            ),
        ]

    def deliver(self, actions: Sequence[OwedAction]) -> list[DeliveryResult]:
        results: Results = {}
        by_stream: dict[str, list[OwedAction]] = {}
        for action in actions:
            by_stream.setdefault(stream_of(action), []).append(action)
        contexts = {
            name: RecordContext(
                self.api,
                self.streams.get(name),
                [a.record_id for a in group],
                self.seen.fresh(name, [a.record_id for a in group]) if self.seen else None,
            )
            for name, group in by_stream.items()
        }
        spent: CrmUnavailable | None = None
        for kinds, stage, size in self.stages:
            batches = [
                (contexts[name], batch)
                for name, group in by_stream.items()
                for mine in [[a for a in group if a.kind in kinds]]
                for batch in chunks(mine, size or max(1, len(mine)))
            ]
            for ctx, batch in batches:
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
