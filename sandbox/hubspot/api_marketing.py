"""Marketing endpoints: the transactional single-send and its send status.

A send to an address no contact has creates that contact: "If a contact with that email address doesn't
exist, a new contact will be created" (HubSpot's transactional email guide and its published spec,
Marketing/Transactional Single Send v3)."""

from __future__ import annotations

import contextlib

from sandbox.core import SandboxResponse

from .errors import ApiError, not_found
from .routing import Call, Router
from .state import PortalState

SEND_PATH = "/marketing/v3/transactional/single-email/send"
STATUS_PATH = "/marketing/v3/email/send-statuses/{statusId}"


class MarketingApi:
    """Transactional email through the shared Outbox."""

    def __init__(self, state: PortalState) -> None:
        self.state = state

    def register(self, router: Router) -> None:
        router.add("POST", SEND_PATH, self.send)
        router.add("GET", STATUS_PATH, self.status)

    def send(self, call: Call) -> SandboxResponse:
        """Queue the email; a recipient that is no contact becomes one (as HubSpot documents)."""
        answer = self.state.email.send(call.json(), self.state.clock())
        self._contact_for(str(call.json()["message"]["to"]))
        return SandboxResponse(200, answer)

    def _contact_for(self, address: str) -> None:
        contacts = self.state.object_type("contacts")
        if self.state.store.find_unique(contacts, "email", address) is None:
            with contextlib.suppress(ApiError):  # an address contacts refuse: the send stands alone
                self.state.apply(self.state.prepare_create(contacts, {"email": address}))

    def status(self, call: Call) -> SandboxResponse:
        found = self.state.email.status(call.params["statusId"], self.state.clock())
        if found is None:
            raise not_found(f"No send with statusId {call.params['statusId']}.")
        return SandboxResponse(200, found)
