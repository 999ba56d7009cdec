"""An action kind that crm-sync does not ship: ``send_sms``, declared in this one module."""

from __future__ import annotations

from dataclasses import dataclass

from rules.actions.base import ActionKind, CompileScope, Firing, Payload, Planned
from rules.expressions import Text
from rules.settings import Strict


class SmsParams(Strict):
    to: str
    text: str


class SmsPayload(Payload):
    to: str
    text: str

    def summary(self) -> str:
        return f"to {self.to}: {self.text}"


@dataclass(frozen=True)
class CompiledSms:
    to: Text
    text: Text


class SendSms(ActionKind[SmsParams, CompiledSms]):
    """A text message to a phone number."""

    name = "send_sms"
    params = SmsParams
    payload = SmsPayload

    def compile(self, params: SmsParams, scope: CompileScope) -> CompiledSms | None:
        to, text = scope.text("to", params.to), scope.text("text", params.text)
        return CompiledSms(to, text) if to is not None and text is not None else None

    def plan(self, compiled: CompiledSms, firing: Firing) -> list[Planned]:
        to, text = firing.render(compiled.to) or "", firing.render(compiled.text) or ""
        return [Planned(SmsPayload(related_id=firing.record_id, to=to, text=text))]

    def example(self) -> SmsPayload:
        return SmsPayload(to="+15550100", text="Hello")
