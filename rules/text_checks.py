"""Compiling the conditions and texts of a configuration, and checking what they read: names that
exist, record fields the stream fetches, roles of the rule's source, template files that exist.

Template files are read once, here, when the configuration loads; evaluation never touches the disk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from jinja2 import TemplateSyntaxError
from jinja2.meta import find_undeclared_variables

from notifications.rendering import Renderable, TemplateLibrary
from rules.expressions import (
    ACTION_CONTEXT_NAMES,
    Compiled,
    Expression,
    ExpressionError,
    Text,
    compile_expression,
    compile_template_file,
    compile_text,
    expression_environment,
    record_paths,
    template_environment,
    unknown_record_paths,
)
from rules.source import ConfigError, Document, Loc
from rules.validation import suggest

TEMPLATE_SUFFIXES = (".txt", ".html")
C = TypeVar("C", bound=Compiled)


def read_templates(directory: Path) -> dict[str, str]:
    """Every template file of a folder (``.txt``, ``.html``, partials included), by file name."""
    if not directory.is_dir():
        return {}
    return {
        path.name: path.read_text(encoding="utf-8")
        for path in sorted(directory.iterdir())
        if path.suffix in TEMPLATE_SUFFIXES and path.is_file()
    }


@dataclass
class TextChecker:
    """Compiles expressions, inline texts and template files, reporting located errors."""

    doc: Document
    errors: list[ConfigError]
    template_dir: Path
    sources: Mapping[str, str]
    compiled_files: dict[str, Renderable] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.expr_env = expression_environment()
        self.text_env = template_environment(self.sources)

    def error(self, loc: Loc, message: str) -> None:
        self.errors.append(self.doc.error(loc, message))

    def library(self) -> TemplateLibrary:
        return TemplateLibrary(origin=self.template_dir.name, files=dict(self.compiled_files))

    def check_names(self, names: Iterable[str], allowed: Iterable[str], loc: Loc) -> bool:
        unknown = sorted(set(names) - set(allowed))
        for name in unknown:
            self.error(
                loc,
                f"undefined name {name!r}"
                + suggest(name, allowed)
                + f"; available: {', '.join(sorted(allowed))}",
            )
        return not unknown

    def check_paths(self, paths: Iterable[tuple[str, ...]], fields: tuple[str, ...], loc: Loc) -> bool:
        record = [p for p in paths if p[0] != "previous"]
        previous = [p[1:] for p in paths if p[0] == "previous" and len(p) > 1]
        unknown = unknown_record_paths(record, fields) + unknown_record_paths(previous, fields)
        for path in unknown:
            leaf = path.split(".")[0]
            self.error(
                loc,
                f"record field {path!r} is not in the stream's fields"
                + suggest(leaf, [f.split(".")[0] for f in fields]),
            )
        return not unknown

    def expression(
        self, source: str | bool, loc: Loc, fields: tuple[str, ...], allowed: Iterable[str]
    ) -> Expression | None:
        return self._checked(lambda: compile_expression(self.expr_env, source), loc, fields, allowed)

    def text(self, source: str, loc: Loc, fields: tuple[str, ...], allowed: Iterable[str]) -> Text | None:
        """An inline text; its ``roles.NAME`` reads are in ``Text.roles`` for the caller to check."""
        return self._checked(lambda: compile_text(self.text_env, source), loc, fields, allowed)

    def _checked(
        self, compile: Callable[[], C], loc: Loc, fields: tuple[str, ...], allowed: Iterable[str]
    ) -> C | None:
        """Compile, then check the names and record fields read; ``None`` (errors reported) if bad."""
        try:
            compiled = compile()
        except ExpressionError as exc:
            self.error(loc, str(exc))
            return None
        ok = self.check_names(compiled.names, allowed, loc) & self.check_paths(compiled.paths, fields, loc)
        return compiled if ok else None

    def template_file(
        self, name: str, loc: Loc, fields: tuple[str, ...], names: Iterable[str] = ACTION_CONTEXT_NAMES
    ) -> frozenset[str] | None:
        """Check and compile a named template's files (reading only ``names`` and ``recipient``);
        returns the roles they read, or None if bad."""
        files = [f"{name}{suffix}" for suffix in TEMPLATE_SUFFIXES if f"{name}{suffix}" in self.sources]
        if not files:
            self.error(
                loc,
                f"template {name!r} not found: expected {name}.txt and/or {name}.html in {self.template_dir.name}/",
            )
            return None
        ok = True
        roles: set[str] = set()
        for filename in files:
            try:
                ast = self.text_env.parse(self.sources[filename])
                compiled = compile_template_file(self.text_env, filename)
            except (TemplateSyntaxError, ExpressionError) as exc:
                message = (exc.message if isinstance(exc, TemplateSyntaxError) else None) or str(exc)
                lineno = f":{exc.lineno}" if isinstance(exc, TemplateSyntaxError) else ""
                self.error(loc, f"{filename}{lineno}: syntax error: {message}" if lineno else message)
                ok = False
                continue
            undeclared = find_undeclared_variables(ast)
            for undefined in sorted(set(undeclared) - set(names) - {"recipient"}):
                self.error(loc, f"{filename}: undefined name {undefined!r}")
                ok = False
            roles |= {p[0] for p in record_paths(ast, "roles")}
            paths = record_paths(ast) | {("previous", *p) for p in record_paths(ast, "previous")}
            for path in unknown_record_paths([p for p in paths if p[0] != "previous"], fields):
                self.error(loc, f"{filename}: record field {path!r} is not in the stream's fields")
                ok = False
            self.compiled_files[filename] = compiled
        return frozenset(roles) if ok else None
