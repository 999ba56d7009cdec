"""Render the texts of a planned action: inline templates and named email templates (text + HTML).

Templates arrive compiled (anything with ``render(context) -> str``); this module never reads files, so
rendering is pure and a template file edited after the configuration was loaded changes nothing until
the configuration is loaded again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class RenderError(ValueError):
    """A text or template that cannot be rendered for this record."""


class Renderable(Protocol):
    """A compiled text: an inline template or a template file."""

    @property
    def source(self) -> str: ...

    def render(self, context: Mapping[str, Any]) -> str: ...


@dataclass(frozen=True)
class TemplateLibrary:
    """Named email templates, compiled when the configuration loads: ``NAME.txt`` (plain) and/or
    ``NAME.html`` (autoescaped), by file name."""

    origin: str = "templates"  # where the files were read from, for messages
    files: Mapping[str, Renderable] = field(default_factory=dict)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.files)

    def reads(self, name: str) -> frozenset[str] | None:
        """The context names a named template's parts read, or ``None`` when unknown."""
        found: set[str] = set()
        for suffix in (".txt", ".html"):
            template = self.files.get(name + suffix)
            if template is None:
                continue
            names = getattr(template, "names", None)
            if names is None:
                return None
            found |= names
        return frozenset(found)

    def render(self, name: str, context: Mapping[str, Any]) -> tuple[str | None, str | None]:
        """The (text, html) parts of a named template; a part is ``None`` when its file is absent."""
        parts: list[str | None] = []
        for suffix in (".txt", ".html"):
            template = self.files.get(name + suffix)
            parts.append(None if template is None else template.render(context))
        return parts[0], parts[1]


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str | None
    html: str | None


def render_text(text: Renderable | None, context: Mapping[str, Any]) -> str | None:
    """Render an inline template, trimmed; ``None`` stays ``None``."""
    return None if text is None else text.render(context).strip()


def render_email(
    library: TemplateLibrary, template: str, subject: Renderable, context: Mapping[str, Any]
) -> RenderedEmail:
    """Subject (one line) and the text/HTML parts of a named template."""
    rendered_subject = " ".join(subject.render(context).split())
    if not rendered_subject:
        raise RenderError(f"the subject {subject.source!r} rendered empty")
    text, html = library.render(template, context)
    return RenderedEmail(subject=rendered_subject[:255], text=text, html=html)
