"""Reference data read once per poll: the portal's owners."""

from __future__ import annotations

from typing import Any

from .api import HubSpotApi


class Lookups:
    """Owners by id, read on first use and kept until :meth:`forget`."""

    def __init__(self, api: HubSpotApi) -> None:
        self.api = api
        self._owners: dict[str, dict[str, Any]] | None = None

    def forget(self) -> None:
        """Drop cached reference data: called once per poll."""
        self._owners = None

    def owners(self) -> dict[str, dict[str, Any]]:
        """Active owners by owner id (read once per poll)."""
        if self._owners is None:
            self._owners = {str(o["id"]): o for o in self.api.owners()}
        return self._owners
