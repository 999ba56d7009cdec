"""A seeded chaos scenario (``random.Random(seed)``): the org and the portal, Service Level Interventions
and NPS responses created over simulated days, the changes staff make to them in the CRMs afterwards,
and the steps at which the worker runs. Plain data: ``world`` applies it, ``oracle`` judges the result.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import ClassVar

ANALYSTS, MANAGERS, BPA = "Customer Success", "Customer Success Managers", "BPA"
INCIDENT_TYPES = ("Missed Visit", "Care Quality", "Billing", "Communication", "Staffing", "Other")
INVALID_SCORES = ("N/A", "11", "7.5", "")
MARGIN = timedelta(minutes=20)  # no CRM change this close to a step: a step's runs see a settled CRM


@dataclass(frozen=True)
class Profile:
    """How big one chaos run is; the defaults are the short version ``make test`` runs (every rule
    fires, in well under a minute)."""

    name: str
    seed: int
    kills: int = 12
    steps: int = 4
    slis: int = 10
    responses: int = 28
    days: float = 34  # the steps span this many simulated days
    create_days: float = 5  # records are created within the first this many days
    faults_per_run: float = 0.6  # injected before each killed run, on average
    timed_kill_share: float = 0.0  # the share of kills at a random moment rather than at a request count


def short_profile(seed: int) -> Profile:
    return Profile("short", seed)


def long_profile(seed: int, kills: int) -> Profile:
    """The long version: 100 SLIs and 376 NPS responses created over 36 days, steps over 40 days, three
    kills a step, a quarter of them at a random moment."""
    return Profile("long", seed, kills, max(6, round(kills / 3)), 100, 376, 40, 36, 1.0, 0.25)


@dataclass(frozen=True)
class Named:
    """A person with the address ``first.last@DOMAIN``."""

    key: str
    first: str
    last: str
    domain: ClassVar[str] = "org.test"

    @property
    def email(self) -> str:
        return f"{self.first}.{self.last}@{self.domain}".lower()


@dataclass(frozen=True)
class Person(Named):
    """A Salesforce user."""

    active: bool = True
    manager: str | None = None


@dataclass(frozen=True)
class Office:
    key: str
    region_head: str  # person keys
    director: str
    success_manager: str


@dataclass(frozen=True)
class Partner:
    """A referral-partner account: its owner and its client-care office."""

    key: str
    owner: str
    office: str


@dataclass(frozen=True)
class Event:
    """A change staff make in a CRM at ``at``: SLI fields to set, or a call logged on a ticket."""

    id: str
    record: str
    at: datetime
    fields: dict[str, object] = field(default_factory=dict)
    call: bool = False


@dataclass(frozen=True)
class Sli:
    key: str
    created: datetime
    name: str
    office: str
    partner: str | None
    submitter: str
    client: str
    incident_type: str
    incident: date
    client_status: str
    referral_status: str | None


@dataclass(frozen=True)
class Owner(Named):
    """A HubSpot owner in one or more teams."""

    teams: tuple[str, ...] = ()
    domain: ClassVar[str] = "cs.example"


@dataclass(frozen=True)
class Response:
    """A feedback submission and the contact (and company) who answered it."""

    key: str
    created: datetime
    value: str
    survey: str
    email: str | None
    has_company: bool
    analyst: str | None  # the company's cs_business_analyst (an owner key)

    @property
    def score(self) -> int | None:
        """The NPS score, when this is an NPS answer on the 0-10 scale written as a plain integer."""
        text = self.value.strip()
        if self.survey != "NPS" or not text.isdigit() or text != str(int(text)) or int(text) > 10:
            return None
        return int(text)

    @property
    def detractor(self) -> bool:
        return self.score is not None and self.score < 7


@dataclass
class Scenario:
    profile: Profile
    start: datetime
    steps: list[datetime]
    kills_per_step: list[int]
    people: dict[str, Person]
    offices: dict[str, Office]
    partners: dict[str, Partner]
    owners: dict[str, Owner]
    slis: list[Sli]
    responses: list[Response]
    events: list[Event]

    def lines(self) -> list[str]:
        p = self.profile
        return [
            f"scenario {p.name}, seed {p.seed}: {len(self.slis)} SLIs and {len(self.responses)} NPS "
            f"responses over {p.days:g} simulated days, {len(self.steps)} steps, {len(self.events)} CRM-side "
            f"changes ({sum(e.call for e in self.events)} calls logged)"
        ]


def _org() -> tuple[dict[str, Person], dict[str, Office], dict[str, Partner]]:
    """Three regions and offices, three referral partners; one division head also directs an office."""
    names = (
        "head1 Hank Hale, head2 Hilda Hart, head3 Hugo Hess, rd1 Dirk Dean, rd2 Dora Dunn, rcsm1 Cara Cole, "
        "rcsm2 Cruz Cobb, rcsm3 Cleo Cruz, mgr1 Mona Marsh, mgr2 Milo Mann, own1 Olga Orr, own2 Omar Oakes, "
        "own3 Opal Owens, sub1 Sam Sparks, sub2 Sue Stone, sub3 Sid Sharp, gone Gus Gone"
    )
    managers = {"own1": "mgr1", "own2": "mgr1", "own3": "mgr2"}
    people = {
        key: Person(key, first, last, active=key != "gone", manager=managers.get(key))
        for key, first, last in (entry.split() for entry in names.split(", "))
    }
    offices = {
        "office1": Office("office1", "head1", "rd1", "rcsm1"),
        "office2": Office("office2", "head2", "rd2", "rcsm2"),
        "office3": Office("office3", "head3", "head3", "rcsm3"),  # the division head directs this office
    }
    partners = {
        "partner1": Partner("partner1", "own1", "office1"),
        "partner2": Partner("partner2", "own2", "office2"),
        "partner3": Partner("partner3", "own3", "office3"),
    }
    return people, offices, partners


def _portal() -> dict[str, Owner]:
    """Three analysts, two managers and two BPAs; one manager is also a BPA."""
    owners = [
        Owner("ana1", "Ana", "Lyst", (ANALYSTS,)),
        Owner("ana2", "Abe", "Lund", (ANALYSTS,)),
        Owner("ana3", "Amy", "Long", (ANALYSTS,)),
        Owner("csm1", "Mia", "Moss", (MANAGERS,)),
        Owner("csm2", "Max", "Mohr", (MANAGERS, BPA)),
        Owner("bpa1", "Bea", "Bold", (BPA,)),
    ]
    return {o.key: o for o in owners}


class Timeline:
    """The steps: when the worker runs (the rules' clock of every run in a step)."""

    def __init__(self, steps: list[datetime]) -> None:
        self.steps = steps

    def first_after(self, moment: datetime) -> datetime | None:
        return next((s for s in self.steps if s > moment), None)

    def first_at_or_after(self, moment: datetime) -> datetime | None:
        return next((s for s in self.steps if s >= moment), None)

    def place(self, moment: datetime) -> datetime | None:
        """``moment`` moved at least MARGIN away from every step, in whole seconds (as the CRMs store
        times); None past the last step."""
        after = self.first_at_or_after(moment)
        if after is None:
            return None
        before = max((s for s in self.steps if s < after), default=None)
        if after - moment < MARGIN:
            moment = after - MARGIN
        if before is not None and moment - before < MARGIN:
            moment = before + MARGIN
        return moment.replace(microsecond=0)


def _steps(rng: random.Random, profile: Profile, start: datetime) -> list[datetime]:
    gaps = [rng.expovariate(1.0) + 0.15 for _ in range(profile.steps)]
    scale = timedelta(days=profile.days) / sum(gaps)
    steps, moment = [], start
    for gap in gaps:
        moment += max(scale * gap, timedelta(hours=1))
        steps.append(moment.replace(second=0, microsecond=0))
    return steps


def _kills(rng: random.Random, profile: Profile) -> list[int]:
    counts = [profile.kills // profile.steps] * profile.steps
    for i in rng.sample(range(profile.steps), profile.kills % profile.steps):
        counts[i] += 1
    return counts


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(hours=rng.uniform(low, high))


def _sli(rng: random.Random, n: int, created: datetime, people: dict[str, Person]) -> Sli:
    office = rng.choice(["office1", "office2", "office3"])
    partner = rng.choice(["partner1", "partner2", "partner3"]) if rng.random() < 0.75 else None
    roll = rng.random()
    submitter = (
        "gone"
        if roll < 0.06
        else (
            f"rd{office[-1]}" if roll < 0.16 and office != "office3" else rng.choice(["sub1", "sub2", "sub3"])
        )
    )
    client = f"Client {n:03d}"
    incident = rng.choice(INCIDENT_TYPES)
    badly_named = rng.random() < 0.08 or n == 1  # "Client Name - Service Incident Type" expected
    name = f"{client.lower()} {incident.lower()}" if badly_named else f"{client} - {incident}"
    return Sli(
        key=f"sli-{n:03d}",
        created=created,
        name=name,
        office=office,
        partner=partner,
        submitter=submitter,
        client=client,
        incident_type=incident,
        incident=(created - timedelta(days=rng.randint(0, 6))).date(),
        client_status=rng.choices(["Orange", "Yellow", "Red", "Green"], [40, 30, 15, 15])[0],
        referral_status=rng.choices(["Orange", "Green", "Red"], [40, 40, 20])[0] if partner else None,
    )


def _sli_events(rng: random.Random, sli: Sli, timeline: Timeline) -> list[Event]:
    c, wanted = sli.created, []
    roll = rng.random()
    if roll < 0.45:
        wanted.append(("plan", c + _hours(rng, 1, 23), {"Intervention_Plan__c": "Call the family daily"}))
    elif roll < 0.75:
        wanted.append(("plan", c + _hours(rng, 25, 120), {"Intervention_Plan__c": "Replace the caregiver"}))
    resolved_at = c + _hours(rng, 24, 40 * 24) if rng.random() < 0.5 else None
    if sli.client_status == "Orange" and rng.random() < 0.25:
        at = c + _hours(rng, 12, 240)
        if resolved_at is None or at < resolved_at:
            wanted.append(("yellow", at, {"Client_Status__c": "Yellow"}))
    if resolved_at is not None:
        fields: dict[str, object] = {"Client_Status__c": rng.choice(["Green", "Red"])}
        if sli.partner:
            fields["Referral_Status__c"] = rng.choice(["Green", "Red"])
        wanted.append(("resolved", resolved_at, fields))
    if rng.random() < 0.12:
        wanted.append(("exception", c + _hours(rng, 48, 35 * 24), {"Exception_Approved__c": True}))
    events = []
    for what, at, fields in wanted:
        placed = timeline.place(at)
        if placed is not None:
            events.append(Event(f"{sli.key}#{what}", sli.key, placed, fields))
    return events


def _response(rng: random.Random, n: int, created: datetime, owners: dict[str, Owner]) -> Response:
    roll = rng.random()
    survey, value = "NPS", str(rng.randint(0, 6))
    if roll < 0.15:
        value = str(rng.randint(7, 8))
    elif roll < 0.35:
        value = str(rng.randint(9, 10))
    elif roll < 0.40:
        value = rng.choice(INVALID_SCORES)
    elif roll < 0.45:
        survey = "CSAT"
    has_company = rng.random() < 0.88
    analysts = [o.key for o in owners.values() if ANALYSTS in o.teams]
    return Response(
        key=f"nps-{n:03d}",
        created=created,
        value=value,
        survey=survey,
        email=f"pat{n:03d}@client.example" if rng.random() < 0.94 else None,
        has_company=has_company,
        analyst=rng.choice(analysts) if has_company and rng.random() < 0.6 else None,
    )


def _call(rng: random.Random, response: Response, timeline: Timeline) -> Event | None:
    seen = timeline.first_after(response.created)
    roll = rng.random()
    if seen is None or roll >= 0.65:
        return None
    at = seen + (_hours(rng, 1, 47) if roll < 0.45 else _hours(rng, 49, 96))
    placed = timeline.place(at)
    return Event(f"{response.key}#call", response.key, placed, call=True) if placed else None


def generate(profile: Profile, start: datetime) -> Scenario:
    """The scenario for ``profile``, its simulated time starting at ``start``."""
    rng = random.Random(profile.seed)
    steps = _steps(rng, profile, start)
    timeline = Timeline(steps)
    people, offices, partners = _org()
    owners = _portal()

    def created() -> datetime:
        moment = timeline.place(start + timedelta(days=rng.uniform(0, profile.create_days)))
        return moment or steps[-1] + MARGIN  # after the last step: never seen, owed nothing

    slis = sorted((_sli(rng, n, created(), people) for n in range(profile.slis)), key=lambda s: s.created)
    responses = sorted(
        (_response(rng, n, created(), owners) for n in range(profile.responses)), key=lambda r: r.created
    )
    events = [e for sli in slis for e in _sli_events(rng, sli, timeline)]
    events += [e for r in responses if r.detractor and (e := _call(rng, r, timeline))]
    return Scenario(
        profile,
        start,
        steps,
        _kills(rng, profile),
        people,
        offices,
        partners,
        owners,
        slis,
        responses,
        sorted(events, key=lambda e: e.at),
    )
