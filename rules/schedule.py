"""Scheduled rules: digests sent on the calendar and alerts on metrics that cross a threshold.

Pure: ``every:`` parsing and its slots in the config's time zone, compiling ``scheduled:`` (located
errors), what a metric crossing decides, who a digest goes to and its rendered emails. The worker
(``sync.reports.scheduled``) reads the store and builds the reports. A digest's idempotency key is
rule + slot (+ group) + recipient, so it goes out once per slot however many cycles or restarts see it;
a metric alert's key is rule + the moment the metric crossed, and a rule is re-armed only once the
metric has recovered (``until``, else ``when`` false again).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Any, Literal

from notifications.recipients import Directory, Recipient, Resolver
from notifications.rendering import TemplateLibrary, render_email
from notifications.roles import Role
from rules.actions.base import Person
from rules.actions.email import EmailPayload
from rules.expressions import Expression, Text
from rules.planner import PlannedAction
from rules.settings import ReportSpec, ScheduledRuleSettings
from rules.source import Loc

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EVERY_RE = re.compile(r"^\s*(daily|[a-z]{3}(?:\s*,\s*[a-z]{3})*)\s+(\d{1,2}):(\d{2})\s*$")
METRIC_NAMES = frozenset({"metric"})
#: The SLI field a ``per:`` digest groups by (the records its roles are resolved on are grouped so too).
PER_FIELDS = {"region": "Office__r.Region__r.Name", "office": "Office__r.Name"}
DIGEST_NAMES = frozenset({"report", "report_text", "report_html", "group", "period", "rule", "metric"})


@dataclass(frozen=True)
class Every:
    """``mon 08:00``, ``mon,thu 07:30`` or ``daily 06:00``: wall-clock times in the config's zone."""

    days: tuple[int, ...]  # 0 = Monday
    at: time
    text: str

    @classmethod
    def parse(cls, text: str) -> Every:
        match = EVERY_RE.match(text.lower())
        if not match:
            raise ValueError(
                f'{text!r} is not a schedule: write e.g. "mon 08:00", "mon,thu 07:30" or "daily 06:00"'
            )
        names, hour, minute = match[1], int(match[2]), int(match[3])
        if hour > 23 or minute > 59:
            raise ValueError(f"{text!r}: {hour:02d}:{minute:02d} is not a time of day")
        if names == "daily":
            days = tuple(range(7))
        else:
            parts = [n.strip() for n in names.split(",")]
            unknown = [p for p in parts if p not in WEEKDAYS]
            if unknown:
                raise ValueError(f"{text!r}: {unknown[0]!r} is not a weekday (mon, tue, ... sun)")
            days = tuple(sorted({WEEKDAYS.index(p) for p in parts}))
        return cls(days, time(hour, minute), text)

    def last(self, now: datetime, zone: tzinfo) -> datetime:
        """The latest slot at or before ``now`` (a wall-clock time skipped by a DST change runs late)."""
        local = now.astimezone(zone)
        for back in range(8):
            day = local.date() - timedelta(days=back)
            if day.weekday() in self.days:
                slot = datetime.combine(day, self.at, zone)
                if slot <= now:
                    return slot
        raise AssertionError("a weekly schedule has a slot in any 8 days")


@dataclass(frozen=True)
class ScheduledRule:
    id: str
    via: str
    to: tuple[str, ...]
    subject: Text
    template: str
    every: Every | None = None
    report: ReportSpec | None = None
    per: Literal["region", "office"] | None = None
    when: Expression | None = None
    until: Expression | None = None

    @property
    def record_key(self) -> str:
        """Where its outcomes and actions are filed in the store (no CRM record)."""
        return f"{'metrics' if self.watches else 'schedule'}:{self.id}"

    @property
    def watches(self) -> bool:
        """A metric rule (``watch: metrics``), else a digest."""
        return self.when is not None


Crossing = Literal["fire", "recover"] | None


def crossing(state: str | None, breached: bool, recovered: bool) -> Crossing:
    """A metric rule's decision, given its last state (``fired``, ``recovered`` or none yet)."""
    if state != "fired":
        return "fire" if breached else None
    return "recover" if recovered else None


def slot_occurrence(slot: datetime, group: str | None) -> str:
    return slot.isoformat() + (f":{group}" if group else "")


def recipients(
    roles: Mapping[str, Role], names: Sequence[str], records: Iterable[Mapping[str, Any]]
) -> list[Recipient]:
    """Everyone the roles find: a fixed address once, a record role on each of ``records`` (e.g. the
    Regional Directors of a region's SLIs), each person once, in the order found."""
    found: dict[str, Recipient] = {}
    for name in names:
        role = roles[name]
        for record in records if role.source else [{}]:
            people = Resolver(roles, record, Directory()).role(name)
            if isinstance(people, list):
                for person in people:
                    found.setdefault(person.identity, person)
    return list(found.values())


def plan_emails(
    rule: ScheduledRule,
    people: Sequence[Recipient],
    context: Mapping[str, Any],
    occurrence: str,
    templates: TemplateLibrary,
) -> list[PlannedAction]:
    """One ``notify`` email per person, keyed by rule, occurrence and recipient."""
    planned = []
    for person in people:
        email = render_email(
            templates,
            rule.template,
            rule.subject,
            {**context, "rule": rule.id, "recipient": person.as_dict()},
        )
        payload = EmailPayload(to=Person.of(person), subject=email.subject, text=email.text, html=email.html)
        planned.append(
            PlannedAction(
                key=f"{rule.id}:{rule.record_key}:{occurrence}:notify:{person.identity}",
                rule_id=rule.id,
                kind="notify",
                target=rule.via,
                record_key=rule.record_key,
                record_id="",
                occurrence=occurrence,
                payload=payload,
            )
        )
    return planned


class ScheduleCompiler:
    """Compiles ``scheduled:`` with the config compiler's checkers; errors are located and collected."""

    def __init__(
        self,
        error: Any,
        texts: Any,
        roles: Mapping[str, Role],
        crms: Iterable[str],
        stream_fields: Mapping[str, Iterable[str]],
    ) -> None:
        self.error = error
        self.texts = texts
        self.roles = roles
        self.crms = tuple(crms)
        self.stream_fields = {name: {f.lower() for f in fields} for name, fields in stream_fields.items()}

    def compile(
        self, items: Sequence[ScheduledRuleSettings], taken: Iterable[str]
    ) -> tuple[ScheduledRule, ...]:
        seen = set(taken)
        out = []
        for index, cfg in enumerate(items):
            loc: Loc = ("scheduled", index)
            if cfg.id in seen:
                self.error((*loc, "id"), f"rule id {cfg.id!r} is already used")
                continue
            seen.add(cfg.id)
            rule = self._rule(cfg, loc)
            if rule is not None and cfg.enabled:
                out.append(rule)
        return tuple(out)

    def _check_per(self, cfg: ScheduledRuleSettings, loc: Loc) -> bool:
        """A ``per:`` digest's roles are found on records of a stream that fetches the grouping field."""
        assert cfg.per is not None
        field = PER_FIELDS[cfg.per]
        sources = {src for name in cfg.notify.to if (src := self.roles[name].source)}
        if not sources:
            self.error(
                (*loc, "per"), f"per: {cfg.per} needs a role found on the SLIs (it is resolved per group)"
            )
            return False
        ok = True
        for source in sorted(sources):
            if field.lower() not in self.stream_fields.get(source, set()):
                crm, _, key = source.partition(".")
                self.error(
                    (*loc, "per"), f"per: {cfg.per} reads {field}: add it to {crm}.streams.{key}.fields"
                )
                ok = False
        return ok

    def _rule(self, cfg: ScheduledRuleSettings, loc: Loc) -> ScheduledRule | None:
        ok = True
        every = None
        if cfg.every is not None:
            try:
                every = Every.parse(cfg.every)
            except ValueError as exc:
                self.error((*loc, "every"), str(exc))
                ok = False
        if cfg.via not in self.crms:
            self.error(
                (*loc, "via"), f"unknown CRM {cfg.via!r} (configured: {', '.join(self.crms) or 'none'})"
            )
            ok = False
        for i, name in enumerate(cfg.notify.to):
            role = self.roles.get(name)
            if role is None:
                self.error((*loc, "notify", "to", i), f"unknown role {name!r}")
                ok = False
            elif cfg.watch is not None and not role.address:
                self.error(
                    (*loc, "notify", "to", i),
                    f"role {name!r} is found on records; a metric rule sends to fixed addresses (address:)",
                )
                ok = False
            elif not (role.address or role.email):
                self.error(
                    (*loc, "notify", "to", i),
                    f"role {name!r} is not a person found on records or a fixed address (teams, turns "
                    "and first_of roles are not used by scheduled rules)",
                )
                ok = False
        if cfg.per is not None and ok:
            ok = self._check_per(cfg, loc)
        if cfg.report is not None and cfg.report.by is not None:
            allowed = {
                "sli": ("region", "office", "referral_account"),
                "loop": ("owner", "company"),
                "nps": ("company", "survey"),
                "sla": (),
            }[cfg.report.kind]
            if cfg.report.by not in allowed:
                self.error(
                    (*loc, "report", "by"),
                    f"report {cfg.report.kind} is grouped by {', '.join(allowed) or 'nothing'}",
                )
                ok = False
        names = METRIC_NAMES | {"rule"} if cfg.watch else DIGEST_NAMES
        when = self.texts.expression(cfg.when, (*loc, "when"), (), METRIC_NAMES) if cfg.when else None
        until = self.texts.expression(cfg.until, (*loc, "until"), (), METRIC_NAMES) if cfg.until else None
        subject = self.texts.text(cfg.notify.subject, (*loc, "notify", "subject"), (), names)
        template = self.texts.template_file(cfg.notify.template, (*loc, "notify", "template"), (), names)
        if (
            (cfg.when and when is None)
            or (cfg.until and until is None)
            or subject is None
            or template is None
        ):
            ok = False
        if not ok or subject is None:
            return None
        return ScheduledRule(
            id=cfg.id,
            via=cfg.via,
            to=tuple(cfg.notify.to),
            subject=subject,
            template=cfg.notify.template,
            every=every,
            report=cfg.report,
            per=cfg.per,
            when=when,
            until=until,
        )
