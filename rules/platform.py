"""What the rules need to know about a CRM, declared by its adapter (``sync.connectors``) and handed
to the compiler: its settings section, the action kinds it carries out, and its record conventions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from rules.settings import ConnectionSettings


class CrmProfile(Protocol):
    @property
    def name(self) -> str:
        """The section name in the configuration and the first part of its stream names."""
        ...

    @property
    def settings(self) -> type[ConnectionSettings]: ...

    @property
    def capabilities(self) -> frozenset[str]:
        """The action kinds it carries out."""
        ...

    @property
    def id_field(self) -> str:
        """The record field holding a record's id (a stream's ``id_field`` overrides it)."""
        ...

    @property
    def has_teams(self) -> bool:
        """Whether its adapter reads teams, for ``team`` and ``round_robin`` roles."""
        ...

    @property
    def record_url(self) -> Callable[[ConnectionSettings, str, str], str | None] | None:
        """The default link template to a record, from the section, the object and the id field."""
        ...

    @property
    def email_channel(self) -> str:
        """Where its emails go by default when an ``email:`` section exists: ``smtp`` or ``crm``."""
        ...


Profiles = Mapping[str, CrmProfile]
