"""Routes ``/services/data/vXX.X/...`` requests of an authenticated user to the resource handlers."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from ..core import SandboxRequest, SandboxResponse
from . import org_setup
from .composite import CompositeResources
from .email_action import EmailSimpleAction
from .errors import SalesforceApiError
from .query import QueryService
from .schema import ObjectDef
from .settings import SalesforceSettings
from .sobjects import SObjectResources
from .usage import DailyUsage
from .writes import RecordWriter


def _body(request: SandboxRequest) -> Any:
    try:
        return request.json()
    except ValueError as error:
        raise SalesforceApiError.single(
            400, "JSON_PARSER_ERROR", f"Unexpected character in request body: {error}"
        ) from None


def _allow(request: SandboxRequest, *methods: str) -> None:
    if request.method not in methods:
        raise SalesforceApiError.single(
            405,
            "METHOD_NOT_ALLOWED",
            f"HTTP Method '{request.method}' not allowed. Allowed are {','.join(methods)}",
        )


def _flag(request: SandboxRequest, name: str) -> bool:
    return (request.arg(name) or "").lower() == "true"


class DataApi:
    """One method per resource family; each answers a ``SandboxResponse`` or raises ``SalesforceApiError``."""

    def __init__(
        self,
        writer: RecordWriter,
        sobjects: SObjectResources,
        composite: CompositeResources,
        query: QueryService,
        email: EmailSimpleAction,
        usage: DailyUsage,
        org: SalesforceSettings | None = None,
    ) -> None:
        self.writer = writer
        self.sobjects = sobjects
        self.composite = composite
        self.query = query
        self.email = email
        self.usage = usage
        self.org = org or SalesforceSettings()

    def route(self, request: SandboxRequest, version: str, rest: str, user: str) -> SandboxResponse:
        segments = [unquote(s) for s in rest.split("/") if s]
        head = segments[0] if segments else ""
        if not segments:
            _allow(request, "GET")
            base = f"/services/data/v{version}"
            names = ("sobjects", "query", "queryAll", "limits", "composite", "actions")
            return SandboxResponse(200, {name: f"{base}/{name}" for name in names})
        if head == "limits" and len(segments) == 1:
            _allow(request, "GET")
            return SandboxResponse(200, self.usage.limits(self.writer.clock()))
        if head in ("query", "queryAll") and len(segments) <= 2:
            return self._query(request, version, segments)
        if head == "sobjects":
            return self._sobjects(request, version, segments[1:], user)
        if segments[:2] == ["composite", "sobjects"]:
            return self._composite(request, version, segments[2:], user)
        if segments == ["tooling", "executeAnonymous"]:
            _allow(request, "GET")
            now = self.writer.clock()
            return SandboxResponse(
                200, org_setup.execute_anonymous(request.arg("anonymousBody"), self.org, self.usage, now)
            )
        if segments == ["actions", "standard", "emailSimple"]:
            _allow(request, "POST")
            status, results = self.email.invoke(_body(request), user, version)
            return SandboxResponse(status, results)
        raise SalesforceApiError.not_found()

    def _query(self, request: SandboxRequest, version: str, segments: list[str]) -> SandboxResponse:
        _allow(request, "GET")
        if len(segments) == 2:
            return SandboxResponse(200, self.query.more(segments[1], version))
        options = request.headers.get("Sforce-Query-Options")
        page = self.query.run(request.arg("q"), segments[0] == "queryAll", options, version)
        return SandboxResponse(200, page)

    def _sobjects(
        self, request: SandboxRequest, version: str, segments: list[str], user: str
    ) -> SandboxResponse:
        if not segments:
            _allow(request, "GET")
            return SandboxResponse(200, self.sobjects.global_describe(version))
        obj: ObjectDef = self.writer.object(segments[0])
        rest = segments[1:]
        fields = request.arg("fields")
        if not rest:
            _allow(request, "GET", "POST")
            if request.method == "POST":
                return self.sobjects.create(obj, _body(request), user)
            return SandboxResponse(200, self.sobjects.basic_info(obj, version))
        if rest == ["describe"]:
            _allow(request, "GET")
            return SandboxResponse(200, org_setup.describe(obj, version, self.org))
        if len(rest) == 1:
            _allow(request, "GET", "PATCH", "DELETE")
            if request.method == "GET":
                return SandboxResponse(200, self.sobjects.get(obj, rest[0], fields, version))
            if request.method == "PATCH":
                self.writer.update(obj, rest[0], _body(request), user)
            else:
                self.writer.delete(obj, rest[0], user)
            return SandboxResponse(204)
        if len(rest) == 2:
            _allow(request, "GET", "PATCH")
            if request.method == "GET":
                return self.sobjects.get_by_external(obj, rest[0], rest[1], fields, version)
            return self.sobjects.upsert(
                obj, rest[0], rest[1], _body(request), user, _flag(request, "updateOnly"), version
            )
        raise SalesforceApiError.not_found()

    def _composite(
        self, request: SandboxRequest, version: str, segments: list[str], user: str
    ) -> SandboxResponse:
        if not segments:
            _allow(request, "POST", "PATCH", "DELETE")
            if request.method == "POST":
                return SandboxResponse(200, self.composite.create(_body(request), user))
            if request.method == "PATCH":
                return SandboxResponse(200, self.composite.update(_body(request), user))
            ids = [i for i in (request.arg("ids") or "").split(",") if i]
            return SandboxResponse(200, self.composite.delete(ids, _flag(request, "allOrNone"), user))
        obj = self.writer.object(segments[0])
        if len(segments) == 1:
            _allow(request, "GET")
            ids = [i for i in (request.arg("ids") or "").split(",") if i]
            return SandboxResponse(200, self.composite.retrieve(obj, ids, request.arg("fields"), version))
        if len(segments) == 2:
            _allow(request, "PATCH")
            return SandboxResponse(200, self.composite.upsert(obj, segments[1], _body(request), user))
        raise SalesforceApiError.not_found()
