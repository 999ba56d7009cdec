"""A small, realistic demo data set for both emulators: ``seed_demo(sandbox, now) -> DemoSummary``.

Salesforce: regions, offices and a user hierarchy behind Service Level Interventions (SLIs) of every
colour, dated over the last ~40 days. HubSpot: owners in the Customer Success teams, companies,
contacts and NPS feedback submissions over the whole 0-10 scale plus malformed values.
Seeding uses ``sandbox.seeds``; only the deactivation of a user goes through the REST API, because
Salesforce refuses records owned by an inactive user.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.app import Sandbox
from sandbox.core import SandboxRequest
from sandbox.seeds.hubspot import create_company, create_contact, create_submission
from sandbox.seeds.salesforce import (
    insert_account,
    insert_intervention,
    insert_office,
    insert_region,
    insert_user,
)

SF_VERSION = "62.0"
EMAIL_DOMAIN = "demo.crm-sync.test"


@dataclass
class DemoSummary:
    """What ``seed_demo`` created: counts, and the ids of the cases a demo wants to show."""

    counts: dict[str, int] = field(default_factory=dict)  # "salesforce.User" -> 16, "hubspot.contacts" -> 10
    cases: dict[str, str] = field(default_factory=dict)  # case name -> record id
    slis: dict[str, str] = field(default_factory=dict)  # SLI Name -> Id
    nps: dict[str, str] = field(default_factory=dict)  # raw hs_value ("" when blank) -> submission id

    def lines(self) -> list[str]:
        """A printable summary."""
        out = ["Created:"]
        out += [f"  {name}: {count}" for name, count in self.counts.items()]
        out.append("Interesting cases:")
        out += [f"  {name}: {record_id}" for name, record_id in self.cases.items()]
        out.append("Service Level Interventions:")
        out += [f"  {record_id}  {name}" for name, record_id in self.slis.items()]
        out.append("NPS submissions by raw hs_value:")
        out += [f"  {value!r}: {record_id}" for value, record_id in self.nps.items()]
        return out

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n


def seed_demo(sandbox: Sandbox, now: datetime) -> DemoSummary:
    """Seed the demo data set into ``sandbox``'s emulators, dated relative to ``now``."""
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    summary = DemoSummary()
    _SalesforceSeeder(sandbox, now, summary).run()
    _HubSpotSeeder(sandbox, now, summary).run()
    return summary


# -- Salesforce -------------------------------------------------------------------------------------

# key: (first name, last name, manager key or None)
USERS: dict[str, tuple[str, str, str | None]] = {
    "head_pnw": ("Dana", "Whitfield", None),
    "head_txaz": ("Marcus", "Oyelaran", None),
    "head_ne": ("Grace", "Kowalski", None),  # also Regional Director of Boston: two roles
    "rd_seattle": ("Priya", "Raman", "head_pnw"),
    "rd_portland": ("Tom", "Becker", "head_pnw"),
    "rd_austin": ("Luis", "Ortega", "head_txaz"),
    "rcsm_seattle": ("Hannah", "Cole", "rd_seattle"),
    "rcsm_portland": ("Jamal", "Reed", "rd_portland"),
    "rcsm_austin": ("Sofia", "Marin", "rd_austin"),
    "rcsm_boston": ("Owen", "Price", "head_ne"),
    "sm_west": ("Rachel", "Stein", "head_pnw"),
    "sm_south": ("Victor", "Hale", "head_txaz"),
    "rep_kelly": ("Kelly", "Nguyen", "sm_west"),
    "rep_ben": ("Ben", "Ortiz", "sm_west"),
    "rep_aisha": ("Aisha", "Grant", "sm_south"),
    "rep_frank": ("Frank", "Delgado", "sm_south"),  # deactivated after his accounts are created
}
INACTIVE_USER = "rep_frank"
REGIONS = {  # key: (name, division head)
    "pnw": ("Pacific Northwest", "head_pnw"),
    "txaz": ("Texas and Arizona", "head_txaz"),
    "ne": ("New England", "head_ne"),
}
OFFICES = {  # key: (name, region, regional director, regional client success manager)
    "seattle": ("Seattle", "pnw", "rd_seattle", "rcsm_seattle"),
    "portland": ("Portland", "pnw", "rd_portland", "rcsm_portland"),
    "austin": ("Austin", "txaz", "rd_austin", "rcsm_austin"),
    "boston": ("Boston", "ne", "head_ne", "rcsm_boston"),
}
REFERRALS = {  # key: (name, owner, CC location office)
    "evergreen": ("Evergreen Senior Living", "rep_kelly", "seattle"),
    "cascade": ("Cascade Geriatric Care Management", "rep_ben", "portland"),
    "hillcountry": ("Hill Country Hospital Discharge Planning", "rep_aisha", "austin"),
    "beaconhill": ("Beacon Hill Elder Law", "rep_frank", "boston"),
    "harborpoint": ("Harbor Point Assisted Living", "rep_ben", "boston"),
}
CLIENTS = ("Eleanor Vance", "Harold Jennings", "Margaret O'Neill", "Walter Brooks", "Ruth Alvarez",
           "George Whitaker", "Dorothy Chen", "Samuel Ibsen", "Frances Holt")  # fmt: skip


@dataclass(frozen=True)
class SliSpec:
    """One Service Level Intervention of the demo set."""

    case: str
    client: str
    name: str
    incident_type: str
    office: str
    submitter: str
    days_ago: float
    client_status: str
    referral: str | None = None
    referral_status: str | None = None
    plan: str | None = None
    exception_approved: bool = False


PLAN_CLIENT = (
    "1. Caregiver write up and removal from case\n2. Staffing working on caregiver replacement\n"
    "3. Complete SOC follow up process\n4. Contact client in 14 days to ensure satisfaction"
)
PLAN_REFERRAL = (
    "1. Communicate intervention plan to referral partner\n"
    "2. Complete 14 day follow up with client satisfaction results"
)
SLIS = (
    SliSpec("sli_new_no_plan", "Eleanor Vance", "Eleanor Vance - No Call No Show", "Staffing", "seattle",
            "rep_kelly", 0.05, "Yellow", "evergreen", "Orange"),
    SliSpec("sli_resolved_green", "Harold Jennings", "Harold Jennings - Caregiver Over 30 Minutes Late",
            "Missed Visit", "portland", "rcsm_portland", 38, "Green", "cascade", "Green", PLAN_CLIENT),
    SliSpec("sli_no_referral", "Margaret O'Neill", "Margaret O'Neill - Billing Dispute", "Billing", "austin",
            "rcsm_austin", 33, "Red", plan="Client ending services after billing dispute; exit call held."),
    SliSpec("sli_reminder_due", "Walter Brooks", "Walter Brooks - Start of Care Delayed", "Staffing",
            "austin", "rep_aisha", 1.1, "Orange", "hillcountry", "Red"),
    SliSpec("sli_inactive_referral_owner", "Ruth Alvarez", "Ruth Alvarez - Caregiver Under-skilled",
            "Care Quality", "boston", "rcsm_boston", 15, "Yellow", "beaconhill", "Orange", PLAN_REFERRAL),
    SliSpec("sli_two_roles", "George Whitaker", "George Whitaker - Unprofessional Caregiver Behavior",
            "Care Quality", "boston", "rep_ben", 3, "Orange", "harborpoint", "Orange"),
    SliSpec("sli_exception_approved", "Dorothy Chen", "Dorothy Chen - Care Plan Incomplete", "Care Quality",
            "seattle", "rcsm_seattle", 31, "Yellow", "evergreen", "Orange", PLAN_CLIENT, True),
    SliSpec("sli_bad_name", "Samuel Ibsen", "samuel ibsen missed visit 3/14", "Missed Visit", "portland",
            "rcsm_portland", 5, "Yellow"),
    SliSpec("sli_lost", "Frances Holt", "Frances Holt - Lack of Proactive Communication", "Communication",
            "seattle", "rep_kelly", 40, "Red", "cascade", "Red", PLAN_REFERRAL),
)  # fmt: skip


class _Counted:
    """One emulator with its seeding helpers counted into the summary as ``<crm>.<object>``."""

    def __init__(self, emulator: Any, crm: str, summary: DemoSummary) -> None:
        self.emulator = emulator
        self.crm = crm
        self.summary = summary

    def insert(self, sobject: str, fields: dict[str, Any]) -> str:
        self.summary.count(f"{self.crm}.{sobject}")
        return str(self.emulator.insert(sobject, fields))

    def create(
        self, object_type: str, properties: dict[str, Any], associations: list[Any] | None = None
    ) -> dict[str, Any]:
        self.summary.count(f"{self.crm}.{object_type}")
        return dict(self.emulator.create(object_type, properties, associations))

    def seed_owner(self, email: str, first_name: str, last_name: str, teams: list[str]) -> dict[str, Any]:
        self.summary.count(f"{self.crm}.owners")
        return dict(self.emulator.seed_owner(email, first_name, last_name, teams))


class _SalesforceSeeder:
    def __init__(self, sandbox: Sandbox, now: datetime, summary: DemoSummary) -> None:
        self.emulator = sandbox.salesforce
        self.sf = _Counted(sandbox.salesforce, "salesforce", summary)
        self.now = now
        self.summary = summary
        self.ids: dict[str, str] = {}

    def run(self) -> None:
        ids = self.ids
        for key, (first, last, manager) in USERS.items():  # managers come first in USERS
            email = f"{first}.{last}@{EMAIL_DOMAIN}".lower()
            ids[key] = insert_user(self.sf, first, last, email, manager=ids[manager] if manager else None)
        for key, (name, head) in REGIONS.items():
            ids[key] = insert_region(self.sf, name, ids[head])
        for key, (name, region, director, rcsm) in OFFICES.items():
            ids[key] = insert_office(self.sf, name, ids[region], ids[director], ids[rcsm])
        for key, (name, owner, office) in REFERRALS.items():
            ids[key] = insert_account(self.sf, name, ids[owner], ids[office])
        for client in CLIENTS:
            ids[client] = insert_account(self.sf, client)
        for spec in SLIS:
            self.summary.slis[spec.name] = self.ids[spec.case] = self.insert_sli(spec)
        self.deactivate(self.ids[INACTIVE_USER])
        self.summary.cases.update(
            {
                "salesforce.user_inactive": self.ids[INACTIVE_USER],
                "salesforce.user_two_roles": self.ids["head_ne"],
                **{f"salesforce.{spec.case}": self.ids[spec.case] for spec in SLIS},
            }
        )

    def insert_sli(self, spec: SliSpec) -> str:
        created = self.now - timedelta(days=spec.days_ago)
        fields: dict[str, Any] = {
            "Name": spec.name,
            "Client__c": self.ids[spec.client],
            "Office__c": self.ids[spec.office],
            "Incident_Type__c": spec.incident_type,
            "Incident_Date__c": (created - timedelta(days=1)).date().isoformat(),
            "Client_Status__c": spec.client_status,
            "Exception_Approved__c": spec.exception_approved,
            "OwnerId": self.ids[spec.submitter],
        }
        if spec.referral:
            fields["Referral_Account__c"] = self.ids[spec.referral]
            fields["Referral_Status__c"] = spec.referral_status
        if spec.plan:
            fields["Intervention_Plan__c"] = spec.plan
        return insert_intervention(self.sf, created, self.ids[spec.submitter], **fields)

    def deactivate(self, user_id: str) -> None:
        """Deactivate a user the way an admin would: a REST PATCH (inactive users cannot own new records)."""
        request = SandboxRequest.from_url(
            "PATCH",
            f"https://sandbox.local/services/data/v{SF_VERSION}/sobjects/User/{user_id}",
            {"Authorization": f"Bearer {self.emulator.issue_token()}", "Content-Type": "application/json"},
            json.dumps({"IsActive": False}),
        )
        response = self.emulator.handle(request)
        if response.status != 204:
            raise RuntimeError(f"could not deactivate {user_id}: {response.status} {response.body!r}")


# -- HubSpot ----------------------------------------------------------------------------------------

OWNERS = (  # (first, last, team)
    ("Nadia", "Brooks", "Customer Success"),
    ("Carlos", "Mendes", "Customer Success"),
    ("Priya", "Shah", "Customer Success"),
    ("Helen", "Park", "Customer Success Managers"),
    ("David", "Osei", "Customer Success Managers"),
    ("Lena", "Fischer", "BPA"),
    ("Omar", "Haddad", "BPA"),
)
COMPANIES = (  # (name, domain, business analyst index into OWNERS or None)
    ("Northwind Family Medicine", "northwind-medicine.example", 0),
    ("Lakeside Orthopedics", "lakeside-ortho.example", 1),
    ("Riverbend Pediatrics", "riverbend-peds.example", 2),
    ("Summit Cardiology Associates", "summit-cardio.example", None),
    ("Bayview Dermatology", "bayview-derm.example", None),
)
CONTACTS = (  # (first, last, email local part or None, company index or None, job title)
    ("Alice", "Moreno", "alice.moreno", 0, "Practice Manager"),
    ("Brian", "Kim", "brian.kim", 0, "Physician Owner"),
    ("Carla", "Jensen", "carla.jensen", 1, "Office Manager"),
    ("Derek", "Obi", "derek.obi", 1, "Billing Lead"),
    ("Erin", "Walsh", "erin.walsh", 2, "Practice Administrator"),
    ("Farid", "Haddad", "farid.haddad", 2, "Physician Owner"),
    ("Gwen", "Lopez", "gwen.lopez", 3, "Revenue Cycle Manager"),
    ("Hank", "Meyer", "hank.meyer", 4, "Office Manager"),
    ("Ivy", "Sato", "ivy.sato", None, "Independent Physician"),  # no company
    ("Jon", "Reyes", None, 4, "Front Desk Lead"),  # no email
)
DETRACTOR = (
    "Claims sat unworked for weeks and nobody told us.",
    "Denials keep coming back for the same coding issue.",
    "We were never told who our account manager is.",
    "AR over 90 days doubled since onboarding.",
    "Enrollment for our new provider took three months.",
    "Reports arrive late and are hard to read.",
    "Responses to our emails take too long.",
)
PASSIVE = (
    "Service is fine, but we rarely hear from you proactively.",
    "Mostly good; billing questions take a day.",
)
PROMOTER = ("Our collections are up and the team is responsive.", "Our business analyst is fantastic.")
BAD_VALUES = (  # (raw hs_value, comment)
    ("N/A", "Not sure how to rate this yet."),
    ("11", "Best billing partner ever!"),
    ("7.5", "Somewhere between a 7 and an 8."),
    ("", "Left the score blank; see comment: please call me."),
)


def nps_comment(score: int) -> str:
    if score <= 6:
        return DETRACTOR[score]
    if score <= 8:
        return PASSIVE[score - 7]
    return PROMOTER[score - 9]


def response_group(score: int) -> str:
    return "DETRACTOR" if score <= 6 else "PASSIVE" if score <= 8 else "PROMOTER"


class _HubSpotSeeder:
    def __init__(self, sandbox: Sandbox, now: datetime, summary: DemoSummary) -> None:
        self.hs = _Counted(sandbox.hubspot, "hubspot", summary)
        self.now = now
        self.summary = summary

    def run(self) -> None:
        owners = [
            self.hs.seed_owner(f"{first}.{last}@{EMAIL_DOMAIN}".lower(), first, last, [team])["id"]
            for first, last, team in OWNERS
        ]
        companies = [
            create_company(
                self.hs,
                name,
                owners[analyst] if analyst is not None else None,
                domain=domain,
                city="Springfield",
                country="United States",
            )
            for name, domain, analyst in COMPANIES
        ]
        contacts = [self.contact(spec, companies) for spec in CONTACTS]
        self.summary.cases.update(
            {
                "hubspot.company_with_analyst": companies[0],
                "hubspot.company_without_analyst": companies[3],
                "hubspot.contact_no_company": contacts[8],
                "hubspot.contact_no_email": contacts[9],
            }
        )
        self.feedback(contacts)

    def contact(self, spec: tuple[str, str, str | None, int | None, str], companies: list[str]) -> str:
        first, last, local, company, title = spec
        props = {"firstname": first, "lastname": last, "jobtitle": title, "lifecyclestage": "customer"}
        if local:
            props["email"] = f"{local}@{COMPANIES[company][1] if company is not None else 'gmail.example'}"
        if company is None:
            return create_contact(self.hs, props)
        props["company"] = COMPANIES[company][0]
        return create_contact(self.hs, props, companies[company])

    def feedback(self, contacts: list[str]) -> None:
        """NPS 0..10, the malformed values, and one CSAT, spread over the last four days."""
        answers: list[tuple[str, str, str | None, str]] = [
            (str(score), nps_comment(score), response_group(score), "NPS") for score in range(11)
        ]
        answers += [(raw, comment, None, "NPS") for raw, comment in BAD_VALUES]
        answers.append(("2", "Quick answer on the phone today, thanks.", None, "CSAT"))
        step = timedelta(days=4) / len(answers)
        for index, (raw, comment, group, survey) in enumerate(answers):
            contact = contacts[index % len(contacts)]
            at = (self.now - timedelta(days=4) + index * step).isoformat(timespec="milliseconds")
            props = {
                "hs_survey_type": survey,
                "hs_survey_name": "Quarterly NPS" if survey == "NPS" else "Support CSAT",
                "hs_survey_channel": "EMAIL",
                "hs_value": raw,
                "hs_content": comment,
                "hs_submission_timestamp": at,
                "hs_createdate": at,
                "hs_lastmodifieddate": at,
            }
            if group:
                props["hs_response_group"] = group
            record_id = create_submission(self.hs, contact, props)
            if survey == "NPS":
                self.summary.nps[raw] = record_id
            else:
                self.summary.cases["hubspot.csat_submission"] = record_id
