"""Salesforce error values and the exception that carries them to an HTTP status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NOT_FOUND_MESSAGE = "The requested resource does not exist"


@dataclass(frozen=True)
class ApiError:
    """One Salesforce error: ``errorCode`` (REST) or ``statusCode`` (per-record results)."""

    code: str
    message: str
    fields: tuple[str, ...] | None = None

    def as_rest(self) -> dict[str, Any]:
        """The REST error shape ``{"message", "errorCode"[, "fields"]}``."""
        body: dict[str, Any] = {"message": self.message, "errorCode": self.code}
        if self.fields is not None:
            body["fields"] = list(self.fields)
        return body

    def as_result(self) -> dict[str, Any]:
        """The per-record shape used in SaveResult / action results."""
        return {"statusCode": self.code, "message": self.message, "fields": list(self.fields or ())}


class SalesforceApiError(Exception):
    """A failed call: the HTTP status and the errors Salesforce would answer with."""

    def __init__(self, status: int, *errors: ApiError) -> None:
        super().__init__("; ".join(f"{e.code}: {e.message}" for e in errors))
        self.status = status
        self.errors = list(errors)

    @classmethod
    def single(
        cls, status: int, code: str, message: str, fields: tuple[str, ...] | None = None
    ) -> SalesforceApiError:
        return cls(status, ApiError(code, message, fields))

    @classmethod
    def not_found(cls, message: str = NOT_FOUND_MESSAGE) -> SalesforceApiError:
        return cls.single(404, "NOT_FOUND", message)

    def body(self) -> list[dict[str, Any]]:
        return [e.as_rest() for e in self.errors]
