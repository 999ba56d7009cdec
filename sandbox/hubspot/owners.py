"""Owners and teams: read-only through the API, seeded by the sandbox."""

from __future__ import annotations

import copy
from typing import Any

OWNER_ID_BASE = 80_000_000
USER_ID_BASE = 9_100_000
TEAM_ID_BASE = 4_480_900
OWNER_TYPES = ("PERSON", "QUEUE")  # published spec CRM/Crm Owners


class OwnerDirectory:
    """The portal's owners (``crm/v3/owners``) and teams (``settings/v3/users/teams``)."""

    def __init__(self, teams: tuple[tuple[str, str], ...]) -> None:
        self._reference_teams = teams
        self.teams: list[tuple[str, str]] = list(teams)
        self.owners: dict[str, dict[str, Any]] = {}
        self._next = 1

    def reset(self) -> None:
        self.teams = list(self._reference_teams)
        self.owners.clear()
        self._next = 1

    def _team_id(self, name: str) -> str:
        """The id of team ``name``, creating the team when the portal has none by that name."""
        for team_id, team_name in self.teams:
            if team_name == name:
                return team_id
        team_id = str(TEAM_ID_BASE + len(self.teams) + 1)
        self.teams.append((team_id, name))
        return team_id

    def seed(
        self,
        email: str,
        first_name: str,
        last_name: str,
        teams: list[str],
        now: str,
        owner_type: str = "PERSON",
    ) -> dict[str, Any]:
        """Add an owner (or update the one with this email); the first team is the primary one.
        ``owner_type`` is ``PERSON`` or ``QUEUE`` (a help desk queue: it has no user)."""
        if owner_type not in OWNER_TYPES:
            raise ValueError(f"an owner's type is one of {', '.join(OWNER_TYPES)}; got {owner_type!r}")
        owner_teams = [
            {"id": self._team_id(name), "name": name, "primary": index == 0}
            for index, name in enumerate(teams)
        ]
        owner = self.by_email(email)
        if owner is None:
            owner_id, user_id = OWNER_ID_BASE + self._next, USER_ID_BASE + self._next
            self._next += 1
            owner = {
                "id": str(owner_id),
                "email": email,
                "type": owner_type,
                "firstName": first_name,
                "lastName": last_name,
                "userId": user_id,
                "userIdIncludingInactive": user_id,
                "createdAt": now,
                "updatedAt": now,
                "archived": False,
                "teams": owner_teams,
            }
            if owner_type == "QUEUE":  # a queue is no user
                for key in ("userId", "userIdIncludingInactive"):
                    owner.pop(key)
            self.owners[owner["id"]] = owner
        else:
            owner.update(firstName=first_name, lastName=last_name, teams=owner_teams, updatedAt=now)
        return copy.deepcopy(owner)

    def by_email(self, email: str) -> dict[str, Any] | None:
        return next((o for o in self.owners.values() if o["email"].lower() == email.lower()), None)

    def get(self, key: str, id_property: str = "id") -> dict[str, Any] | None:
        """An owner by owner id, or by ``userId`` when ``id_property == "userId"``."""
        if id_property == "userId":
            return next((o for o in self.owners.values() if str(o.get("userId")) == key), None)
        return self.owners.get(key)

    def listed(self, email: str | None = None, archived: bool = False) -> list[dict[str, Any]]:
        """Owners in id order, optionally only the one with ``email``."""
        owners = [o for o in self.owners.values() if o["archived"] == archived]
        if email:
            owners = [o for o in owners if o["email"].lower() == email.lower()]
        return sorted(owners, key=lambda o: int(o["id"]))

    def owner_options(self) -> list[tuple[str, str]]:
        """(owner id, name) pairs: the options of owner-referencing properties."""
        return [(o["id"], f"{o['firstName']} {o['lastName']}".strip()) for o in self.listed()]

    def teams_json(self) -> list[dict[str, Any]]:
        """Teams as the settings API lists them, with member user ids (primary and secondary)."""
        result = []
        for team_id, name in self.teams:
            members = [
                (o["userId"], t["primary"])
                for o in self.listed()
                if "userId" in o
                for t in o["teams"]
                if t["id"] == team_id
            ]
            result.append(
                {
                    "id": team_id,
                    "name": name,
                    "userIds": [str(user) for user, primary in members if primary],
                    "secondaryUserIds": [str(user) for user, primary in members if not primary],
                }
            )
        return result

    def snapshot(self) -> dict[str, Any]:
        return {
            "teams": [list(t) for t in self.teams],
            "owners": copy.deepcopy(self.owners),
            "next": self._next,
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.teams = [(team_id, name) for team_id, name in state["teams"]]
        self.owners = copy.deepcopy(state["owners"])
        self._next = state["next"]
