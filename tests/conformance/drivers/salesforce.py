"""The conformance driver of the Salesforce adapter: the sandbox's org mounted into ``responses``."""

from __future__ import annotations

import itertools
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

import requests
import responses

from rules.actions.base import Payload, Person
from rules.actions.chatter import ChatterPayload
from rules.actions.update import UpdatePayload
from rules.model import Stream
from sandbox.mount import mount
from sync.connectors import salesforce
from sync.connectors.base import Connector, OwedAction
from tests.conformance.drivers.config import load_stream
from tests.conformance.drivers.sandboxed import SandboxedDriver

BASE_URL = "https://conformance.sandbox.test"
SLI = "Service_Level_Intervention__c"
CONFIG = """
salesforce:
  login_url: {url}
  client_id: {client_id}
  client_secret: {client_secret}
  overlap: 10m
  query_batch_size: 200
  streams:
    sli:
      object: Service_Level_Intervention__c
      fields: [Name, Client_Status__c]
"""


class SalesforceDriver(SandboxedDriver):
    """Service Level Interventions in the emulated org; Tasks, FeedItems, emails and updates written."""

    spec = salesforce.SPEC
    page_size = 200  # the smallest query batch Salesforce allows
    writes = r"^/services/data/v[\d.]+/(composite/sobjects|actions/standard/|sobjects/)"
    overlap = timedelta(minutes=10)

    def __init__(self) -> None:
        super().__init__()
        self.org = self.box.salesforce
        self._stack = ExitStack()
        mock = self._stack.enter_context(responses.RequestsMock(assert_all_requests_are_fired=False))
        mount(self.box, mock, BASE_URL)
        credentials = self.box.credentials()
        text = CONFIG.format(
            url=BASE_URL,
            client_id=credentials.salesforce_client_id,
            client_secret=credentials.salesforce_client_secret,
        )
        self.ruleset, self._stream = load_stream(text, "salesforce.sli")
        self.settings = self.ruleset.settings.connection("salesforce")
        assert self.settings is not None
        self.staff = self.org.insert(
            "User",
            {"Username": "rae@org.test", "FirstName": "Rae", "LastName": "Director", "Email": "rae@org.test"},
        )
        self._numbers = itertools.count(1)

    def stream(self) -> Stream:
        return self._stream

    def connector(self) -> Connector:
        assert self.settings is not None
        return self.spec.build(self.settings, self.ruleset, self.clock)

    def create(self) -> str:
        return str(self.org.insert(SLI, {"Name": f"SLI {next(self._numbers)}", "Client_Status__c": "Green"}))

    def update(self, record_id: str) -> None:
        self._api("PATCH", f"sobjects/{SLI}/{record_id}", {"Name": f"SLI {next(self._numbers)}"})

    def delete(self, record_id: str) -> None:
        self._api("DELETE", f"sobjects/{SLI}/{record_id}")

    def exhaust_budget(self) -> None:
        self.org.settings.daily_api_budget = 0

    def prepare(self, kind: str, payload: Payload) -> Payload:
        if isinstance(payload, UpdatePayload):
            return payload.model_copy(update={"object": SLI, "fields": {"Client_Status__c": "Red"}})
        if kind == "notify":  # staff: emailed as the org's user
            return payload.model_copy(update={"to": Person(email="rae@org.test", user_id=self.staff)})
        return payload

    def written(self, action: OwedAction) -> list[Any]:
        target = action.payload.related_id or action.record_id
        if action.kind in ("create_task", "log_email"):
            return [t for t in self.org.records("Task") if t["Crm_Sync_Key__c"] == action.external_id]
        if action.kind == "post_chatter":  # the post's body, then its reference token
            body = action.payload_as(ChatterPayload).body
            token = f"[crm-sync ref {action.external_id}]"
            return [
                p
                for p in self.org.records("FeedItem")
                if p["ParentId"] == target and p["Body"].startswith(body) and p["Body"].endswith(token)
            ]
        if action.kind in ("notify", "send_email"):
            return [e for e in self.box.emails() if action.external_id in e["body"]]
        if action.kind == "update_record":
            update = action.payload_as(UpdatePayload)
            return [
                r
                for r in self.org.records(update.object)
                if r["Id"] == target and all(r[k] == v for k, v in update.fields.items())
            ]
        raise AssertionError(f"no way to find what a {action.kind} action wrote")

    def close(self) -> None:
        self._stack.close()
        super().close()

    def _api(self, method: str, path: str, body: dict[str, Any] | None = None) -> None:
        """A call to the org's REST API, as another user of the org would make it."""
        url = f"{BASE_URL}/services/data/v62.0/{path}"
        headers = {"Authorization": f"Bearer {self.org.issue_token()}"}
        requests.request(method, url, json=body, headers=headers, timeout=10).raise_for_status()
