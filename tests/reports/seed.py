"""A seeded history for the report tests: SLIs and NPS responses as the store would have seen them.

Every number the tests expect is worked out by hand in the test that checks it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sync.reports.history import RecordHistory, history_from_rows
from sync.store.changes import diff

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)  # a Monday


def at(day: int, hour: int = 0, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def history(record_id: str, sightings: Sequence[tuple[datetime, Mapping[str, Any]]]) -> RecordHistory:
    """A record seen in these states (each a full snapshot), as the store's change log keeps them."""
    changes = [
        (seen, diff(sightings[i - 1][1], snapshot)) for i, (seen, snapshot) in enumerate(sightings) if i
    ]
    return history_from_rows(
        f"stream:{record_id}", record_id, sightings[-1][1], sightings[0][0], sightings[-1][0], None, changes
    )


def sli(
    name: str,
    created: datetime,
    region: str,
    office: str,
    referral: str | None,
    client: str,
    incident: str | None = None,
    exception: bool = False,
    **fields: Any,
) -> dict[str, Any]:
    return {
        "Name": name,
        "CreatedDate": created.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "Incident_Date__c": incident,
        "Client_Status__c": None,
        "Referral_Status__c": None,
        "Intervention_Plan__c": None,
        "Exception_Approved__c": exception,
        "Client__r": {"Name": client},
        "Referral_Account__r": {"Name": referral} if referral else None,
        "Office__r": {"Name": office, "Region__r": {"Name": region}},
        **fields,
    }


def slis() -> list[RecordHistory]:
    a = sli(
        "A - No Call",
        at(24, 9),
        "North",
        "Boston",
        "Ref1",
        "C1",
        incident="2026-11-23",
        Client_Status__c="Yellow",
    )
    b = sli("B - Late", at(25, 8), "North", "Boston", "Ref1", "C2", Client_Status__c="Orange")
    c = sli(
        "C - Rude",
        at(17, 10),
        "South",
        "Miami",
        "Ref2",
        "C3",
        incident="2026-10-20",
        Client_Status__c="Yellow",
    )
    d = sli(
        "D - Lost",
        at(18, 10),
        "South",
        "Miami",
        "Ref2",
        "C4",
        incident="2026-10-01",
        exception=True,
        Client_Status__c="Orange",
        Intervention_Plan__c="Call daily",
    )
    e = sli("E - Missed", at(16, 9), "North", "Salem", None, "C5", Client_Status__c="Yellow")
    return [
        history(
            "a",
            [
                (at(24, 9, 5), a),
                (at(24, 20), {**a, "Intervention_Plan__c": "Visit"}),
                (at(27, 10), {**a, "Intervention_Plan__c": "Visit", "Client_Status__c": "Green"}),
            ],
        ),
        history("b", [(at(25, 8), b), (at(26, 14), {**b, "Intervention_Plan__c": "Replace"})]),
        history("c", [(at(17, 10), c)]),
        history("d", [(at(18, 10), d)]),
        history(
            "e",
            [
                (at(16, 9), e),
                (at(16, 21), {**e, "Intervention_Plan__c": "Train"}),
                (at(24, 8), {**e, "Intervention_Plan__c": "Train", "Client_Status__c": "Red"}),
            ],
        ),
    ]


def response(
    score: int, submitted: datetime, owner: str | None = None, company: str = "Acme", **ticket: Any
) -> dict[str, Any]:
    return {
        "hs_value": str(score),
        "hs_survey_type": "NPS",
        "hs_submission_timestamp": submitted.isoformat().replace("+00:00", "Z"),
        "contact": {"firstname": f"Pat{score}", "lastname": "Doe"},
        "company": {"name": company},
        "ticket": {
            "id": None,
            "calls_logged": 0,
            "closed_date": None,
            "owner": {"email": owner, "firstName": None},
            **ticket,
        },
    }


def detractors() -> list[RecordHistory]:
    def d(
        record_id: str,
        score: int,
        submitted: datetime,
        owner: str,
        company: str,
        ticket_seen: datetime,
        call_seen: datetime | None = None,
        closed: datetime | None = None,
    ) -> RecordHistory:
        base = response(score, submitted, owner, company)
        with_ticket = response(score, submitted, owner, company, id=f"t-{record_id}")
        sightings = [(submitted, base), (ticket_seen, with_ticket)]
        if call_seen:
            sightings.append(
                (call_seen, response(score, submitted, owner, company, id=f"t-{record_id}", calls_logged=1))
            )
        if closed:
            sightings.append(
                (
                    closed,
                    response(
                        score,
                        submitted,
                        owner,
                        company,
                        id=f"t-{record_id}",
                        calls_logged=1,
                        closed_date=closed.isoformat(),
                    ),
                )
            )
        return history(record_id, sightings)

    return [
        d("d1", 3, at(20, 10), "ana@example.com", "Acme", at(20, 10, 5), at(21, 6), at(22, 10)),
        d("d2", 5, at(24, 12), "ben@example.com", "Beta", at(24, 12, 30), at(26, 18)),
        d("d3", 0, at(29, 12), "ana@example.com", "Acme", at(29, 12, 10)),
        d("d4", 6, at(1, 12, month=10), "ben@example.com", "Beta", at(1, 13, month=10)),
        history("p1", [(at(25, 9), response(10, at(25, 9)))]),
    ]
