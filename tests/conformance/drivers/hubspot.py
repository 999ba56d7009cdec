"""The conformance driver of the HubSpot adapter: the sandbox's portal served over HTTPS (the SDK
speaks urllib3, which ``responses`` cannot see), on a hand-moved clock."""

from __future__ import annotations

import itertools
import tempfile
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

from rules.actions.base import Payload, Person
from rules.actions.email import EmailPayload
from rules.actions.update import UpdatePayload
from rules.model import Stream
from sandbox.server import SandboxServer
from sync.connectors import hubspot
from sync.connectors.base import Connector, OwedAction
from sync.connectors.conformance import Feature
from sync.connectors.hubspot import HubSpotConnector
from sync.connectors.hubspot.settings import HubSpotSettings
from tests.conformance.drivers.config import load_stream
from tests.conformance.drivers.sandboxed import SandboxedDriver

SUBMISSIONS = "feedback_submissions"
CONFIG = """
hubspot:
  base_url: {url}
  access_token: {token}
  ca_bundle: {ca}
  overlap: 10m
  streams:
    nps:
      object: feedback_submissions
      where: hs_survey_type = NPS
      relations:
        contact: {{object: contacts, via: hs_contact_id}}
        ticket: {{object: tickets, having: crm_sync_key}}
      fields: [hs_value, hs_survey_type, contact.email, ticket.subject]
"""
JOB_TITLE = "Head of Listening"


def _no_wait(seconds: float) -> None:
    """Pacing waits are skipped: the clock the portal's limits follow moves only by hand."""


class HubSpotDriver(SandboxedDriver):
    """NPS feedback submissions of one contact in the emulated portal; tickets, tasks, emails and contact
    updates written."""

    spec = hubspot.SPEC
    page_size = 5
    writes = r"/batch/(create|update|upsert|archive)$|/single-email/send$"
    overlap = timedelta(minutes=10)
    unsupported: ClassVar[Mapping[Feature, str]] = {
        "deletions": "the adapter polls with HubSpot's search, which never returns archived records",
    }

    def __init__(self) -> None:
        super().__init__()
        self.portal = self.box.hubspot
        limits = self.portal.settings  # the clock stands still: its per-second windows would never pass
        limits.search_rate_per_second = limits.rate_limit_per_10s = 1_000_000
        self._tls = tempfile.TemporaryDirectory()
        self.server = SandboxServer(self.box, tls_dir=self._tls.name).start()
        text = CONFIG.format(
            url=self.server.url, token=self.box.credentials().hubspot_access_token, ca=self.server.ca_bundle
        )
        self.ruleset, self._stream = load_stream(text, "hubspot.nps")
        settings = self.ruleset.settings.connection("hubspot")
        assert isinstance(settings, HubSpotSettings)
        self.settings = settings
        self.contact = str(
            self.portal.create("contacts", {"email": "pat@client.example", "firstname": "Pat"})["id"]
        )
        self._numbers = itertools.count(1)

    def stream(self) -> Stream:
        return self._stream

    def connector(self) -> Connector:
        return HubSpotConnector(
            self.settings,
            sleep=_no_wait,
            monotonic=time.monotonic,
            now=self.clock,
            page_size=self.page_size,
            group_size=1,  # each search page handed over alone, so paging shows
        )

    def create(self) -> str:
        score = str(next(self._numbers) % 11)
        properties = {"hs_value": score, "hs_survey_type": "NPS", "hs_contact_id": self.contact}
        return str(self.portal.create(SUBMISSIONS, properties, [("contacts", self.contact)])["id"])

    def update(self, record_id: str) -> None:
        """Feedback submissions are read-only through the API: HubSpot changes them itself."""
        state = self.portal._state
        with self.portal._lock:
            otype = state.object_type(SUBMISSIONS)
            record = state.record(otype, record_id)
            state.store.update(otype, record, {"hs_content": f"Edited {next(self._numbers)}"}, state.now())

    def exhaust_budget(self) -> None:
        self.portal.settings.daily_limit = 0

    def prepare(self, kind: str, payload: Payload) -> Payload:
        if isinstance(payload, UpdatePayload):  # submissions are read-only: their contact is updated
            return payload.model_copy(
                update={"object": "contacts", "related_id": self.contact, "fields": {"jobtitle": JOB_TITLE}}
            )
        if isinstance(payload, EmailPayload):  # one address per kind, to tell their emails apart
            return payload.model_copy(update={"to": Person(email=f"{kind.replace('_', '-')}@example.com")})
        return payload

    def written(self, action: OwedAction) -> list[Any]:
        if action.kind == "create_ticket":
            return [
                t
                for t in self._objects("tickets")
                if t["properties"].get("crm_sync_key") == action.external_id
            ]
        if action.kind == "create_task":
            return [
                t
                for t in self._objects("tasks")
                if action.external_id in t["properties"].get("hs_task_body", "")
            ]
        if action.kind in ("notify", "send_email"):
            email = action.payload_as(EmailPayload)
            return [
                e
                for e in self.box.emails()
                if e["source"] == "hubspot" and e["to"] == [email.to.email] and e["subject"] == email.subject
            ]
        if action.kind == "update_record":
            update = action.payload_as(UpdatePayload)
            return [
                c
                for c in self._objects(update.object)
                if c["id"] == update.related_id
                and all(c["properties"].get(k) == v for k, v in update.fields.items())
            ]
        if action.kind == "log_email":
            return [
                e
                for e in self._objects("emails")
                if f"crm-sync ref {action.external_id}" in (e["properties"].get("hs_email_text") or "")
            ]
        raise AssertionError(f"no way to find what a {action.kind} action wrote")

    def close(self) -> None:
        self.server.stop()
        self._tls.cleanup()
        super().close()

    def _objects(self, object_type: str) -> list[dict[str, Any]]:
        return list(self.portal.objects(object_type))
