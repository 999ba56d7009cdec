"""Marketing endpoints: the transactional single-send and its send status."""

from __future__ import annotations

from sandbox.core import SandboxResponse

from .errors import not_found
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
        return SandboxResponse(200, self.state.email.send(call.json(), self.state.now()))

    def status(self, call: Call) -> SandboxResponse:
        found = self.state.email.status(call.params["statusId"])
        if found is None:
            raise not_found(f"No send with statusId {call.params['statusId']}.")
        return SandboxResponse(200, found)
