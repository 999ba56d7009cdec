"""Sandboxed Jinja2 conditions and templates, compiled once when the config loads.

Conditions (``when``, ``unless``, stream checks) are Jinja2 expressions; texts (subjects, bodies, field
values) are Jinja2 templates. Both run in an :class:`ImmutableSandboxedEnvironment` with
``StrictUndefined``, so they cannot call into Python objects or mutate anything, and an undefined name
fails loudly. Records reach them as plain dicts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

from jinja2 import DictLoader, StrictUndefined, TemplateError, TemplateSyntaxError, Undefined, nodes
from jinja2.meta import find_referenced_templates, find_undeclared_variables
from jinja2.sandbox import ImmutableSandboxedEnvironment

from notifications.rendering import RenderError

#: Names every condition and template may use.
CONTEXT_NAMES = frozenset({"record", "previous", "now", "first_seen", "source", "record_url"})
#: Extra names available in action templates (who the firing has alerted so far).
ACTION_CONTEXT_NAMES = CONTEXT_NAMES | {"recipients", "skipped", "rule", "due", "roles"}

_INT_RE = re.compile(r"[+-]?\d+")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ExpressionError(RenderError):
    """An expression or template that does not compile or does not evaluate."""


def to_int(value: Any) -> int | None:
    """An integer from an int or an integer-looking string; ``None`` for anything else ("7.5", "N/A")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
        return int(value.strip())
    return None


def to_datetime(value: Any, zone: tzinfo = UTC) -> datetime | None:
    """Parse a CRM timestamp (ISO 8601, Salesforce's ``+0000``, epoch milliseconds) into an aware
    datetime; a date alone (``2026-03-02``) is midnight in ``zone``. Anything that is no such time
    (``2026-02-30``, an epoch past year 9999, NaN) is ``None``."""
    try:
        return _to_datetime(value, zone)
    except (ValueError, OverflowError, OSError):
        return None


def _to_datetime(value: Any, zone: tzinfo) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=zone)
    if isinstance(value, str) and _DATE_RE.fullmatch(value.strip()):
        return datetime.combine(date.fromisoformat(value.strip()), time(), tzinfo=zone)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        elif re.search(r"[+-]\d{4}$", text):
            text = f"{text[:-2]}:{text[-2:]}"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _hours_between(later: Any, earlier: Any) -> float | None:
    a, b = to_datetime(later), to_datetime(earlier)
    if a is None or b is None:
        return None
    return (a - b).total_seconds() / 3600


@functools.lru_cache(maxsize=256)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _matching(value: Any, pattern: str) -> bool:
    """``value is matching('^.+ - .+$')``: the whole string matches the regular expression."""
    return isinstance(value, str) and _pattern(pattern).fullmatch(value) is not None


def _register(env: ImmutableSandboxedEnvironment) -> ImmutableSandboxedEnvironment:
    env.filters["to_int"] = to_int
    env.filters["to_datetime"] = to_datetime
    env.filters["hours_between"] = _hours_between
    env.tests["blank"] = lambda value: value is None or (isinstance(value, str) and not value.strip())
    env.tests["integer_string"] = lambda value: to_int(value) is not None
    env.tests["matching"] = _matching
    return env


def expression_environment() -> ImmutableSandboxedEnvironment:
    """The environment conditions compile in."""
    return _register(ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False))


def template_environment(sources: Mapping[str, str] | None = None) -> ImmutableSandboxedEnvironment:
    """The environment texts compile in, with template files given as ``{file name: source}`` (read
    when the configuration loads; nothing is read from disk afterwards). Files ending ``.html`` are
    autoescaped."""

    def autoescape(name: str | None) -> bool:
        return bool(name) and str(name).endswith((".html", ".htm"))

    return _register(
        ImmutableSandboxedEnvironment(
            undefined=StrictUndefined,
            autoescape=autoescape,
            loader=DictLoader(dict(sources or {})),
            keep_trailing_newline=False,
            auto_reload=False,
        )
    )


def record_paths(ast: nodes.Node, root: str = "record") -> set[tuple[str, ...]]:
    """Every maximal attribute/item chain on ``root`` in an expression, e.g. ``('Office__r', 'Name')``."""
    found: set[tuple[str, ...]] = set()

    def chain(node: nodes.Node) -> tuple[str, ...] | None:
        if isinstance(node, nodes.Name):
            return () if node.name == root else None
        if isinstance(node, nodes.Getattr):
            base = chain(node.node)
            return None if base is None else (*base, node.attr)
        if (
            isinstance(node, nodes.Getitem)
            and isinstance(node.arg, nodes.Const)
            and isinstance(node.arg.value, str)
        ):
            base = chain(node.node)
            return None if base is None else (*base, node.arg.value)
        return None

    def visit(node: nodes.Node, parent_is_chain: bool) -> None:
        path = chain(node)
        if path is not None and not parent_is_chain and path:
            found.add(path)
        for child in node.iter_child_nodes():
            child_in_chain = (
                path is not None
                and isinstance(node, nodes.Getattr | nodes.Getitem)
                and (child is getattr(node, "node", None))
            )
            visit(child, child_in_chain)

    visit(ast, False)
    return found


def unknown_record_paths(paths: Iterable[tuple[str, ...]], fields: Iterable[str]) -> list[str]:
    """The paths that match no declared field (a path may extend a field, e.g. ``Name.upper``)."""
    declared = [tuple(f.split(".")) for f in fields]
    unknown = []
    for path in sorted(paths):
        folded = tuple(p.lower() for p in path)
        ok = any(tuple(p.lower() for p in d[: len(folded)]) == folded[: len(d)] for d in declared)
        if not ok:
            unknown.append(".".join(path))
    return unknown


_RUNTIME_ERRORS = (TemplateError, TypeError, ValueError, ArithmeticError, AttributeError, KeyError)


def _run(source: str, fn: Callable[..., Any], context: Mapping[str, Any]) -> Any:
    """Call compiled Jinja code; any failure becomes an ``ExpressionError`` naming the source."""
    try:
        result = fn(**context)
    except _RUNTIME_ERRORS as exc:
        detail = str(exc) if isinstance(exc, TemplateError) else f"{type(exc).__name__}: {exc}"
        raise ExpressionError(f"{source!r}: {detail}") from exc
    if isinstance(result, Undefined):
        raise ExpressionError(f"{source!r}: {result._undefined_message}")
    return result


@dataclass(frozen=True)
class Compiled:
    """A compiled condition or text, with the names and record paths it reads (for validation)."""

    source: str
    _fn: Any = field(repr=False, compare=False)
    paths: frozenset[tuple[str, ...]] = frozenset()
    names: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()  # the ``roles.NAME`` it reads


class Expression(Compiled):
    """A compiled condition."""

    def __call__(self, context: Mapping[str, Any]) -> Any:
        return _run(self.source, self._fn, context)

    def test(self, context: Mapping[str, Any]) -> bool:
        return bool(self(context))


class Text(Compiled):
    """A compiled text template (inline in the config)."""

    def render(self, context: Mapping[str, Any]) -> str:
        return str(_run(self.source, self._fn, context))


def compile_expression(env: ImmutableSandboxedEnvironment, source: str | bool) -> Expression:
    """Compile a condition; ``True``/``False`` YAML booleans are accepted as constants."""
    text = ("true" if source else "false") if isinstance(source, bool) else source
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("a condition must be a non-empty expression")
    try:
        ast = env.parse(f"{{{{ ({text}) }}}}")
        fn = env.compile_expression(text, undefined_to_none=False)
    except TemplateSyntaxError as exc:
        raise ExpressionError(f"syntax error in {text!r}: {exc.message}") from exc
    return Expression(
        source=text,
        _fn=fn,
        paths=frozenset(record_paths(ast) | {("previous", *p) for p in record_paths(ast, "previous")}),
        names=frozenset(find_undeclared_variables(ast)),
    )


def compile_text(env: ImmutableSandboxedEnvironment, source: str) -> Text:
    """Compile an inline text template."""
    if not isinstance(source, str):
        raise ExpressionError(f"expected text, got {type(source).__name__}")
    try:
        ast = env.parse(source)
        template = env.from_string(source)
    except TemplateSyntaxError as exc:
        raise ExpressionError(f"syntax error in {source!r}: {exc.message}") from exc
    return Text(
        source=source,
        _fn=template.render,
        paths=frozenset(record_paths(ast) | {("previous", *p) for p in record_paths(ast, "previous")}),
        names=frozenset(find_undeclared_variables(ast)),
        roles=frozenset(p[0] for p in record_paths(ast, "roles")),
    )


def compile_template_file(env: ImmutableSandboxedEnvironment, name: str) -> Text:
    """Compile a template file known to ``env``'s loader (``{% extends %}``/``{% include %}`` resolve
    there too); its failures at render time name the file."""
    try:
        template = env.get_template(name)
    except TemplateSyntaxError as exc:
        raise ExpressionError(f"{name}:{exc.lineno}: syntax error: {exc.message}") from exc
    except TemplateError as exc:
        raise ExpressionError(f"{name}: {exc}") from exc
    return Text(source=f"template {name}", _fn=template.render, names=_file_names(env, name, set()))


ANY_NAME = "*"  # in ``names``: the text may read any name (a template included by an expression)


def _file_names(env: ImmutableSandboxedEnvironment, name: str, seen: set[str]) -> frozenset[str]:
    """The names a template file reads, through the files it extends, includes or imports."""
    if name in seen or env.loader is None:
        return frozenset()
    seen.add(name)
    source = env.loader.get_source(env, name)[0]
    ast = env.parse(source)
    names = set(find_undeclared_variables(ast))
    for referenced in find_referenced_templates(ast):
        names |= {ANY_NAME} if referenced is None else _file_names(env, referenced, seen)
    return frozenset(names)
