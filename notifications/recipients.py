"""Resolve recipient roles against a record: who gets the email, and who was skipped and why.

Pure: a record, role definitions and the CRM's directory (its teams, and whose turn it is in each
round-robin team) in; recipients out. A person holding several roles appears once (matched by CRM user
id, else by address); an empty role, an inactive user or a malformed address is skipped with a reason,
never failing the others. Within one firing a role resolves once, so a round-robin turn is taken once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from notifications.records import lookup
from notifications.roles import Role

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


@dataclass(frozen=True)
class Directory:
    """What a CRM says about its people this cycle: team members (``{id, email, name}`` dicts, in a
    stable order) and, per round-robin team, the member whose turn is next."""

    teams: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    next_in_turn: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


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


def _member(role: str, member: Mapping[str, Any]) -> Recipient | Skipped:
    email = member.get("email")
    if not isinstance(email, str) or not _EMAIL_RE.match(email.strip()):
        return Skipped(role, f"team member {member.get('id')} has no usable email address ({email!r})")
    if _inactive(member.get("active", True)):
        return Skipped(role, f"inactive user {email.strip()}")
    user_id = member.get("id")
    return Recipient(email.strip(), str(user_id) if user_id else None, member.get("name"), (role,))


class Resolver:
    """Resolves roles for one firing on one record; remembers each role's answer and the turns taken."""

    def __init__(self, roles: Mapping[str, Role], record: Mapping[str, Any], directory: Directory) -> None:
        self.roles = roles
        self.record = record
        self.directory = directory
        self.turns: dict[str, str] = {}
        self._cache: dict[str, list[Recipient] | Skipped] = {}

    def role(self, name: str) -> list[Recipient] | Skipped:
        if name not in self._cache:
            self._cache[name] = self._resolve(self.roles[name])
        return self._cache[name]

    def first(self, name: str) -> Recipient | Skipped:
        """The one person a role names (an owner, a sender)."""
        found = self.role(name)
        return found[0] if isinstance(found, list) else found

    def _resolve(self, role: Role) -> list[Recipient] | Skipped:
        if role.first_of:
            reasons = []
            for member in role.first_of:
                found = self.role(member)
                if isinstance(found, list):
                    return [Recipient(r.email, r.user_id, r.name, (role.name, *r.roles)) for r in found]
                reasons.append(f"{member}: {found.reason}")
            return Skipped(role.name, "none of " + "; ".join(reasons))
        if role.team is not None:
            members = self.directory.teams.get(role.team)
            if not members:
                return Skipped(role.name, f"team {role.team!r} has no members")
            found_members = [_member(role.name, m) for m in members]
            people = [m for m in found_members if isinstance(m, Recipient)]
            return people or Skipped(role.name, f"team {role.team!r} has no active member with an email")
        if role.round_robin is not None:
            turn = self.directory.next_in_turn.get(role.round_robin)
            if turn is None:
                return Skipped(role.name, f"team {role.round_robin!r} has no members to take turns")
            outcome = _member(role.name, turn)
            if isinstance(outcome, Recipient):
                self.turns[role.round_robin] = str(turn.get("id"))
                return [outcome]
            return outcome
        outcome = _from_record(role, self.record)
        return [outcome] if isinstance(outcome, Recipient) else outcome


def _from_record(role: Role, record: Mapping[str, Any]) -> Recipient | Skipped:
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


def resolve(resolver: Resolver, role_names: Iterable[str], addresses: Iterable[str] = ()) -> Resolution:
    """Resolve roles (in order) and literal addresses into de-duplicated recipients."""
    resolution = Resolution()
    for name in role_names:
        outcome = resolver.role(name)
        if isinstance(outcome, Skipped):
            resolution.skipped.append(outcome)
        else:
            for person in outcome:
                resolution.add(person)
    for address in addresses:
        address = address.strip()
        if not address:
            continue
        if _EMAIL_RE.match(address):
            resolution.add(Recipient(address))
        else:
            resolution.skipped.append(Skipped("address", f"{address!r} is not an email address"))
    return resolution
