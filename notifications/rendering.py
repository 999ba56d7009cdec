"""Render the texts of a planned action: inline templates and named email templates (text + HTML)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rules.expressions import ExpressionError, Text
from rules.model import TemplateLibrary


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str | None
    html: str | None


def render_text(text: Text | None, context: Mapping[str, Any]) -> str | None:
    """Render an inline template, trimmed; ``None`` stays ``None``."""
    return None if text is None else text.render(context).strip()


def render_email(
    library: TemplateLibrary, template: str, subject: Text, context: Mapping[str, Any]
) -> RenderedEmail:
    """Subject (one line) and the text/HTML parts of a named template."""
    rendered_subject = " ".join(subject.render(context).split())
    if not rendered_subject:
        raise ExpressionError(f"the subject {subject.source!r} rendered empty")
    text, html = library.render(template, context)
    return RenderedEmail(subject=rendered_subject[:255], text=text, html=html)
