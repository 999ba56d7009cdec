"""SOQL errors, rendered with Salesforce's caret-and-position message format."""

from __future__ import annotations


class SoqlError(Exception):
    """A query Salesforce rejects with 400 ``code`` (MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE...)."""

    def __init__(self, code: str, detail: str, offset: int | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.offset = offset

    def render(self, query: str) -> str:
        """``\\n<line>\\n   ^\\nERROR at Row:R:Column:C\\n<detail>`` as Salesforce words it."""
        if self.offset is None:
            return self.detail
        before = query[: self.offset]
        row = before.count("\n") + 1
        line_start = before.rfind("\n") + 1
        line_end = query.find("\n", self.offset)
        line = query[line_start : line_end if line_end >= 0 else len(query)]
        column = self.offset - line_start + 1
        return f"\n{line}\n{' ' * (column - 1)}^\nERROR at Row:{row}:Column:{column}\n{self.detail}"


def malformed(detail: str, offset: int | None) -> SoqlError:
    return SoqlError("MALFORMED_QUERY", detail, offset)
