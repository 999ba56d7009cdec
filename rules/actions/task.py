"""``create_task``: a task on the record, optionally owned by a role's person and due after a delay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pydantic import Field

from rules.actions.base import ActionKind, CompileScope, Firing, Payload, Person, Planned
from rules.actions.registry import action_kind
from rules.expressions import Text
from rules.model import Timer
from rules.settings import Strict, TimerField


class TaskParams(Strict):
    subject: str
    owner: str | None = None
    due: TimerField | None = None
    description: str | None = None
    priority: str | None = None
    status: str | None = None
    type: str | None = None
    fields: dict[str, str] = Field(default_factory=dict)


class TaskPayload(Payload):
    subject: str
    description: str | None = None
    owner: Person | None = None
    fields: dict[str, str | None] = Field(default_factory=dict)
    priority: str | None = None
    status: str | None = None
    type: str | None = None
    due_at: datetime | None = None
    due_date: date | None = None  # ``due_at``'s day in the configured time zone
    planned_at: datetime | None = None  # when the firing planned it (CRMs that need a time use it)

    def summary(self) -> str:
        owner = f" owner {self.owner.email}" if self.owner else ""
        due = f" due {self.due_date}" if self.due_date else ""
        return f"{self.subject}{owner}{due}"


@dataclass(frozen=True)
class CompiledTask:
    subject: Text
    description: Text | None
    owner: str | None
    due: Timer | None
    priority: str | None
    status: str | None
    type: str | None
    fields: dict[str, Text]


@action_kind
class CreateTask(ActionKind[TaskParams, CompiledTask]):
    """A task (a to-do) on the record."""

    name = "create_task"
    params = TaskParams
    payload = TaskPayload

    def compile(self, params: TaskParams, scope: CompileScope) -> CompiledTask | None:
        subject = scope.text("subject", params.subject)
        description = scope.text("description", params.description)
        owner = scope.role("owner", params.owner)
        due = scope.timer("due", params.due)
        fields = scope.texts("fields", params.fields)
        if subject is None:
            return None
        return CompiledTask(
            subject, description, owner, due, params.priority, params.status, params.type, fields
        )

    def plan(self, compiled: CompiledTask, firing: Firing) -> list[Planned]:
        due_at = firing.due(compiled.due) if compiled.due is not None else None
        payload = TaskPayload(
            related_id=firing.record_id,
            subject=firing.render(compiled.subject) or "",
            description=firing.render(compiled.description),
            owner=firing.person(compiled.owner, "task owner"),
            fields=firing.render_all(compiled.fields),
            priority=compiled.priority,
            status=compiled.status,
            type=compiled.type,
            due_at=due_at,
            due_date=due_at.astimezone(firing.zone).date() if due_at is not None else None,
            planned_at=firing.now,
        )
        return [Planned(payload)]

    def example(self) -> TaskPayload:
        return TaskPayload(
            subject="Call the client",
            description="Follow up within 24 hours.",
            due_at=datetime.fromisoformat("2026-03-03T09:00:00+00:00"),
            due_date=date(2026, 3, 3),
            planned_at=datetime.fromisoformat("2026-03-02T09:00:00+00:00"),
        )
