"""``update_record``: set fields on the record itself."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from rules.actions.base import ActionKind, CompileScope, Firing, Payload, Planned
from rules.actions.registry import action_kind
from rules.expressions import Text
from rules.settings import Strict


class UpdateParams(Strict):
    fields: dict[str, str] = Field(min_length=1)


class UpdatePayload(Payload):
    object: str
    fields: dict[str, str | None]

    def summary(self) -> str:
        return ", ".join(f"{key}={value!r}" for key, value in self.fields.items())


@dataclass(frozen=True)
class CompiledUpdate:
    fields: dict[str, Text]


@action_kind
class UpdateRecord(ActionKind[UpdateParams, CompiledUpdate]):
    """Field updates on the polled record."""

    name = "update_record"
    params = UpdateParams
    payload = UpdatePayload

    def compile(self, params: UpdateParams, scope: CompileScope) -> CompiledUpdate | None:
        fields = scope.texts("fields", params.fields)
        return CompiledUpdate(fields) if len(fields) == len(params.fields) else None

    def plan(self, compiled: CompiledUpdate, firing: Firing) -> list[Planned]:
        payload = UpdatePayload(
            related_id=firing.record_id,
            object=firing.stream.object,
            fields=firing.render_all(compiled.fields),
        )
        return [Planned(payload)]

    def example(self) -> UpdatePayload:
        return UpdatePayload(object="Record", fields={"Status": "Escalated"})
