"""The base of the store's repositories: queries on the one session of an open transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, col, select

Row = TypeVar("Row", bound=SQLModel)


class Repository:
    """Queries and writes on one group of tables, inside the transaction that created it."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _by_key(self, model: type[Row], column: Any, keys: Sequence[str]) -> dict[str, Row]:
        """Rows whose ``column`` is one of ``keys``, in one query, by that column's value."""
        if not keys:
            return {}
        rows = self._session.exec(select(model).where(col(column).in_(keys))).all()
        return {getattr(row, column.key): row for row in rows}
