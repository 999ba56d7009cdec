"""Path-template routing and the per-request view handlers receive."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.core import SandboxRequest, SandboxResponse

from .errors import ApiError, validation_error


@dataclass
class Call:
    """One routed request: the request, its path parameters and parsing helpers."""

    request: SandboxRequest
    params: dict[str, str]

    def json(self) -> Any:
        """The JSON body; 400 when it is malformed."""
        try:
            return self.request.json()
        except ValueError as exc:
            raise validation_error(f"Invalid input JSON: {exc}") from None

    def arg(self, name: str) -> str | None:
        return self.request.arg(name)

    def flag(self, name: str) -> bool:
        return (self.request.arg(name) or "").lower() == "true"

    def int_arg(self, name: str, default: int, maximum: int) -> int:
        """An integer query parameter in ``1..maximum``; 400 otherwise."""
        raw = self.request.arg(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise validation_error(f"{name} must be an integer; got {raw!r}.") from None
        if not 0 < value <= maximum:
            raise validation_error(f"{name} must be between 1 and {maximum}; got {value}.")
        return value

    def list_arg(self, name: str) -> list[str] | None:
        """A repeated and/or comma-separated query parameter (``properties=a,b&properties=c``)."""
        values = self.request.query.get(name)
        if values is None:
            return None
        return [item.strip() for value in values for item in value.split(",") if item.strip()]


Handler = Callable[[Call], SandboxResponse]


class Router:
    """Routes ``(method, path)`` to handlers by templates like ``/crm/v3/objects/{type}/{id}``."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template.rstrip("/"))
        self._routes.append((method, re.compile(f"^{pattern}/?$"), handler))

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        """The handler and path parameters; 404 for unknown paths, 405 for a known path's other methods."""
        allowed = False
        for route_method, pattern, handler in self._routes:
            match = pattern.match(path)
            if match is None:
                continue
            if route_method == method:
                return handler, match.groupdict()
            allowed = True
        if allowed:
            raise ApiError(405, "METHOD_NOT_ALLOWED", f"{method} is not supported on {path}")
        raise ApiError(404, "OBJECT_NOT_FOUND", f"No endpoint matches {method} {path}")
