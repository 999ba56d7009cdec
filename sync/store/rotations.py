"""Round-robin rotations: whose turn each team took last (the choice itself is ``sync.policy.rotation``)."""

from __future__ import annotations

from datetime import datetime

from sync.store.repository import Repository
from sync.store.tables import Rotation


class Rotations(Repository):
    """The last member each team's rotation chose, and how many turns it has taken."""

    def last_member(self, team: str) -> str | None:
        row = self._session.get(Rotation, team)
        return None if row is None else row.last_member_id

    def take_turn(self, team: str, member_id: str, now: datetime) -> None:
        row = self._session.get(Rotation, team) or Rotation(team=team, last_member_id=member_id)
        row.last_member_id = member_id
        row.turns += 1
        row.updated_at = now
        self._session.add(row)
