"""The shape of ``config.yaml``: strict pydantic models (an unknown key is an error).

These models check types and local constraints only. Cross-references (a rule's source, a role's field
path, an expression's names, a template file) are checked by :mod:`rules.compiler`.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from rules.durations import Duration, DurationError

ID_RE = r"^[a-z0-9][a-z0-9_.-]*$"


def _duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    try:
        return Duration.parse(value)
    except DurationError as exc:
        raise ValueError(str(exc)) from None


DurationField = Annotated[Duration, BeforeValidator(_duration)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class StreamCheck(Strict):
    """A condition every record of a stream must meet; a failing record is rejected with the message."""

    expect: str | bool
    message: str


class StreamSettings(Strict):
    object: str
    fields: list[str] = Field(min_length=1)
    id_field: str | None = None
    where: str | None = None
    since: datetime | None = None
    record_url: str | None = None
    checks: list[StreamCheck] = Field(default_factory=list)

    @field_validator("fields")
    @classmethod
    def _fields_are_paths(cls, fields: list[str]) -> list[str]:
        for name in fields:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,5}", name):
                raise ValueError(f"{name!r} is not a field name or relationship path (at most 5 levels)")
        if len({f.lower() for f in fields}) != len(fields):
            raise ValueError("a field is listed twice")
        return fields

    @field_validator("since")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("since needs a time zone, e.g. 2026-01-01T00:00:00Z")
        return value


class ConnectionSettings(Strict):
    """A CRM section of the configuration. Each adapter subclasses it with its connection settings;
    ``streams`` are the collections of records it polls."""

    streams: dict[str, StreamSettings] = Field(default_factory=dict)

    def without_streams(self) -> ConnectionSettings:
        """The connection alone (streams and rules may change while a daemon runs; this may not)."""
        return self.model_copy(update={"streams": {}})


class StoreSettings(Strict):
    url: str = "sqlite:///crm-sync.db"


class ScheduleSettings(Strict):
    """When the daemon runs a cycle: every ``interval``, or at the times of a five-field ``cron``
    expression (then ``interval`` is only the health and standby pace)."""

    interval: DurationField = Duration(seconds=300)
    cron: str | None = None
    misfire_grace: DurationField = Duration(seconds=60)
    stop_timeout: DurationField = Duration(seconds=30)

    @field_validator("interval")
    @classmethod
    def _positive(cls, value: Duration) -> Duration:
        if value.total.total_seconds() < 1:
            raise ValueError("the interval must be at least 1s")
        return value

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, value: str | None) -> str | None:
        if value is not None and len(value.split()) != 5:
            raise ValueError("cron takes five fields: minute hour day month weekday (e.g. '*/5 * * * *')")
        return value


class MonitoringSettings(Strict):
    """Logs, ``/metrics`` and ``/healthz`` of the daemon."""

    log_format: Literal["auto", "text", "json"] = "auto"  # auto: text on a terminal, JSON lines otherwise
    listen: str = "127.0.0.1"
    port: int | None = Field(default=9464, ge=0, le=65535)  # null: no HTTP endpoint; 0: any free port
    redact_personal: bool = True  # email addresses and free-text fields in log lines
    free_text_fields: list[str] = Field(
        default_factory=lambda: ["comment", "content", "feedback", "description", "body", "notes", "text"]
    )
    stale_after: int = Field(default=3, ge=1, le=100)  # intervals without a successful cycle: unhealthy


class DeliverySettings(Strict):
    max_attempts: int = Field(default=8, ge=1, le=100)
    backoff: DurationField = Duration(seconds=60)
    max_backoff: DurationField = Duration(seconds=3600)
    batch_size: int = Field(default=1000, ge=1, le=5000)


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WORKWEEK: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")


class CalendarSettings(Strict):
    timezone: str | None = None
    hours: str = Field(default="09:00-17:00", pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")
    workdays: list[Weekday] = Field(default_factory=lambda: list(WORKWEEK), min_length=1)
    country: str | None = None
    subdivision: str | None = None
    holidays: list[str] = Field(default_factory=list)

    def opening_hours(self) -> tuple[time, time]:
        start, end = self.hours.split("-")
        return time.fromisoformat(start), time.fromisoformat(end)


class RoleSettings(Strict):
    """A named recipient. One of: a person found through a record's fields (``email`` path, optional
    ``id``/``name``/``active`` paths); a fixed ``address``; every member of a CRM ``team``; the next
    member of a team in turn (``round_robin``); or the first of other roles that finds someone
    (``first_of``)."""

    source: str | None = None
    email: str | None = None
    id: str | None = None
    name: str | None = None
    active: str | None = None
    address: str | None = None
    team: str | None = None
    round_robin: str | None = None
    first_of: list[str] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_kind(self) -> RoleSettings:
        kinds = [
            k for k in ("email", "address", "team", "round_robin", "first_of") if getattr(self, k) is not None
        ]
        if len(kinds) != 1:
            raise ValueError(
                "a role is exactly one of: email (a field path, with source), address, team, round_robin, first_of"
                + (f"; this one has {', '.join(kinds)}" if kinds else "")
            )
        (kind,) = kinds
        if kind == "email" and self.source is None:
            raise ValueError("a role found through a record's fields needs its source")
        if kind in ("team", "round_robin") and self.source is None:
            raise ValueError(f"a {kind} role needs its source (the CRM whose teams it reads)")
        extra = {"id", "active"} if kind != "email" else set()
        if kind in ("address", "first_of"):
            extra |= {"source"}
        if kind != "email" and kind != "address":
            extra |= {"name"}
        given = sorted(k for k in extra if getattr(self, k) is not None)
        if given:
            raise ValueError(f"a {kind} role does not take {', '.join(given)}")
        return self


class TimerSettings(Strict):
    field: str | None = None
    delay: DurationField
    calendar: str | None = None


def _timer(value: Any) -> Any:
    return {"delay": value} if isinstance(value, str) else value


TimerField = Annotated[TimerSettings, BeforeValidator(_timer)]


class RuleSettings(Strict):
    id: str = Field(pattern=ID_RE, max_length=64)
    description: str | None = None
    source: str = Field(pattern=r"^[a-z][a-z0-9_]*\.[A-Za-z0-9_]+$")
    enabled: bool = True
    when: str | bool = True
    after: TimerField | None = None
    unless: str | bool | None = None
    occurrence: str | None = None
    # What happens to timers armed before this rule's timing or conditions changed: re-planned under
    # the new version (default), or kept with the due time they had.
    on_change: Literal["replan", "keep"] = "replan"
    # Each action is a one-key mapping {kind: params}; params are checked by the kind (rules.actions).
    actions: list[dict[str, Any]] = Field(min_length=1)


class ReportSpec(Strict):
    """The report a scheduled rule sends: its kind, grouping and the period it covers at the slot."""

    kind: Literal["sli", "loop", "sla", "nps"]
    by: str | None = None
    period: Literal["last_week", "this_week", "last_28d"] = "last_week"


class DigestNotify(Strict):
    to: list[str] = Field(min_length=1)
    subject: str
    template: str


class ScheduledRuleSettings(Strict):
    """A rule that runs on the calendar (``every: "mon 08:00"``) and sends a report, or that watches
    the KPIs (``watch: metrics``) and alerts once each time ``when`` becomes true."""

    id: str = Field(pattern=ID_RE, max_length=64)
    description: str | None = None
    enabled: bool = True
    every: str | None = None  # a digest's slots; for a metric rule, when it checks (default: every cycle)
    watch: Literal["metrics"] | None = None
    when: str | None = None
    until: str | None = None  # a metric rule is re-armed once this is true (default: once when is false)
    per: Literal["region", "office"] | None = None
    report: ReportSpec | None = None
    via: str  # the CRM that sends the emails (its name in the configuration, e.g. hubspot)
    notify: DigestNotify

    @model_validator(mode="after")
    def _one_kind(self) -> ScheduledRuleSettings:
        if self.every is None and self.watch is None:
            raise ValueError("a scheduled rule has every (a digest) or watch: metrics (an alert)")
        if self.watch is None and self.report is None:
            raise ValueError("a digest (every:) needs the report it sends")
        if self.watch is not None and (self.when is None or self.report is not None or self.per is not None):
            raise ValueError("a metric rule (watch: metrics) needs when, and takes no report or per")
        if self.watch is None and (self.when is not None or self.until is not None):
            raise ValueError("when and until belong to metric rules (watch: metrics)")
        if self.per is not None and self.report is not None and self.report.kind != "sli":
            raise ValueError("per: groups the sli report only (by its SLIs' region or office)")
        return self


CHAT_SERVICES = ("slack", "teams")
CHANNELS = ("crm", "smtp", *CHAT_SERVICES)


class EmailSettings(Strict):
    """The ``email:`` section: an SMTP server that sends ``notify`` and ``send_email`` (``channel: smtp``).
    ``security``: ``starttls`` (upgrade a plain connection, port 587), ``tls`` (implicit TLS, port 465)
    or ``none`` (a local relay only). ``password_file`` reads the password from a mounted secret."""

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: str | None = None
    from_address: str = Field(min_length=1)
    from_name: str | None = None
    reply_to: str | None = None
    ca_bundle: str | None = None
    timeout: DurationField = Duration(seconds=30)

    @model_validator(mode="after")
    def _login_pair(self) -> EmailSettings:
        if (self.username is None) != (self.password is None):
            raise ValueError("give both username and password (or password_file), or neither")
        return self


class ChatSettings(Strict):
    """The ``chat:`` section: incoming webhook URLs by room, per service (keep them in the environment:
    a webhook URL is a secret)."""

    slack: dict[str, str] = Field(default_factory=dict)
    teams: dict[str, str] = Field(default_factory=dict)
    ca_bundle: str | None = None
    timeout: DurationField = Duration(seconds=15)

    @field_validator("slack", "teams")
    @classmethod
    def _urls(cls, rooms: dict[str, str]) -> dict[str, str]:
        for room, url in rooms.items():
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", room):
                raise ValueError(f"room {room!r}: use letters, digits, '-', '_' and '.'")
            if not url:
                raise ValueError(f"room {room!r}: the webhook URL is empty")
        return rooms

    def rooms(self, service: str) -> dict[str, str]:
        return dict(getattr(self, service, {}) or {})


class Settings(Strict):
    """The whole configuration file (after includes are merged)."""

    store: StoreSettings = StoreSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    monitoring: MonitoringSettings = MonitoringSettings()
    delivery: DeliverySettings = DeliverySettings()
    timezone: str = "UTC"
    templates: str = "templates"
    calendars: dict[str, CalendarSettings] = Field(default_factory=dict)
    roles: dict[str, RoleSettings] = Field(default_factory=dict)
    rules: list[RuleSettings] = Field(default_factory=list)
    scheduled: list[ScheduledRuleSettings] = Field(default_factory=list)
    email: EmailSettings | None = None
    chat: ChatSettings | None = None
    # The CRM sections (``salesforce:``, ``hubspot:``...), each validated by its adapter's settings model.
    connections: dict[str, ConnectionSettings] = Field(default_factory=dict)

    def connection(self, name: str) -> ConnectionSettings | None:
        return self.connections.get(name)
