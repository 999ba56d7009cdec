"""``log_email``: the CRM's record of an email crm-sync sent by SMTP (an email engagement on the ticket
and contact, an activity on the record), owed after the send and idempotent like every other write."""

from __future__ import annotations

from rules.actions.base import ActionKind, CompileScope, EmailContent, Firing, Person, Planned
from rules.actions.registry import action_kind
from rules.settings import Strict


class LogEmailParams(Strict):
    """``log_email`` is never written in a rule: crm-sync owes it after sending an email by SMTP."""


class LogEmailPayload(EmailContent):
    """An email sent by SMTP, as the CRM logs it on the record (and its ticket and contact)."""

    def summary(self) -> str:
        return f"log the email to {self.to.email}: {self.subject}"


@action_kind
class LogEmail(ActionKind[LogEmailParams, None]):
    """The CRM's record of an email crm-sync sent by SMTP (an engagement, an activity)."""

    name = "log_email"
    in_rules = False
    params = LogEmailParams
    payload = LogEmailPayload

    def compile(self, params: LogEmailParams, scope: CompileScope) -> None:
        scope.error(
            None, "log_email is not a rule action: a send_email with channel smtp is logged by itself"
        )
        return None

    def plan(self, compiled: None, firing: Firing) -> list[Planned]:
        return []

    def example(self) -> LogEmailPayload:
        return LogEmailPayload(
            to=Person(email="pat@example.com", name="Pat Customer"),
            subject="We are sorry",
            text="Sorry to hear that.",
            html="<p>Sorry to hear that.</p>",
        )
