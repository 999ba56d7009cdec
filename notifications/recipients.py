"""Resolve recipient roles against a record: who gets the email, and who was skipped and why.

Pure: a record and role definitions in, recipients out. A person holding several roles appears once
(matched by CRM user id, else by address); an empty role, an inactive user or a malformed address is
skipped with a reason, never failing the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rules.model import Role, lookup

_EMAIL_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


@dataclass(frozen=True)
class Recipient:
    """One person to reach: an address, and the CRM user id when the role has one."""

    email: str
    user_id: str | None = None
    name: str | None = None
    roles: tuple[str, ...] = ()

    @property
    def identity(self) -> str:
        return f"user:{self.user_id}" if self.user_id else f"email:{self.email.lower()}"

    def as_dict(self) -> dict[str, Any]:
        return {"email": self.email, "user_id": self.user_id, "name": self.name, "roles": list(self.roles)}


@dataclass(frozen=True)
class Skipped:
    role: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "reason": self.reason}


@dataclass
class Resolution:
    recipients: list[Recipient] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def add(self, recipient: Recipient) -> None:
        """Add a recipient, merging roles when the same person is already there."""
        for index, existing in enumerate(self.recipients):
            same_user = existing.user_id and existing.user_id == recipient.user_id
            if same_user or existing.email.lower() == recipient.email.lower():
                merged = tuple(dict.fromkeys(existing.roles + recipient.roles))
                self.recipients[index] = Recipient(
                    existing.email,
                    existing.user_id or recipient.user_id,
                    existing.name or recipient.name,
                    merged,
                )
                return
        self.recipients.append(recipient)


def _inactive(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() in ("false", "0", "no"))


def resolve_role(role: Role, record: Mapping[str, Any]) -> Recipient | Skipped:
    """One role against one record."""
    if role.address is not None:
        if not _EMAIL_RE.match(role.address):
            return Skipped(role.name, f"fixed address {role.address!r} is not an email address")
        return Recipient(role.address, name=role.display_name, roles=(role.name,))
    assert role.email is not None
    email = lookup(record, role.email)
    user_id = lookup(record, role.id) if role.id else None
    name = lookup(record, role.display_name) if role.display_name else None
    if email is None or (isinstance(email, str) and not email.strip()):
        return Skipped(role.name, f"empty: {role.email} has no value")
    if not isinstance(email, str) or not _EMAIL_RE.match(email.strip()):
        return Skipped(role.name, f"{role.email} is {email!r}, not an email address")
    if role.active and _inactive(lookup(record, role.active)):
        return Skipped(role.name, f"inactive user {email.strip()}")
    return Recipient(
        email.strip(), str(user_id) if user_id else None, str(name) if name else None, (role.name,)
    )


def resolve(
    role_names: Iterable[str],
    roles: Mapping[str, Role],
    record: Mapping[str, Any],
    addresses: Iterable[str] = (),
) -> Resolution:
    """Resolve roles (in order) and literal addresses into de-duplicated recipients."""
    resolution = Resolution()
    for name in role_names:
        outcome = resolve_role(roles[name], record)
        if isinstance(outcome, Skipped):
            resolution.skipped.append(outcome)
        else:
            resolution.add(outcome)
    for address in addresses:
        address = address.strip()
        if not address:
            continue
        if _EMAIL_RE.match(address):
            resolution.add(Recipient(address))
        else:
            resolution.skipped.append(Skipped("address", f"{address!r} is not an email address"))
    return resolution
