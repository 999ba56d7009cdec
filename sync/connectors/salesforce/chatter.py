"""Chatter posts as Salesforce takes them (FeedItem object reference, ``sforce_api_objects_feeditem.htm``).

- ``Body`` holds at most 10,000 characters: a longer body is cut, never refused.
- A body with HTML is sent with ``IsRichText`` (else Salesforce shows the tags as text), rewritten to the
  tags rich text allows (``strong`` -> ``b``, a line break -> an empty paragraph, others dropped with
  their text kept).
- Salesforce may rewrite a body it stores, so an earlier post is recognised by the reference token the
  post ends with, never by its exact body.
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

BODY_LIMIT = 10_000
ALLOWED_TAGS = frozenset({"p", "b", "i", "u", "s", "ul", "ol", "li", "code", "a"})
RENAMED = {"strong": "b", "em": "i", "strike": "s", "del": "s", "ins": "u", "tt": "code", "pre": "code"}
PARAGRAPHS = frozenset({"div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr"})
_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>")
_ELLIPSIS = "…"


def is_html(body: str) -> bool:
    """Whether ``body`` carries HTML tags."""
    return _TAG_RE.search(body) is not None


class _RichText(HTMLParser):
    """Rebuilds a body from allowed tags only, as pieces: ``(text, open tag or None, close tag or None)``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.pieces: list[str] = []
        self.open: list[str] = []

    def _tag(self, tag: str) -> str | None:
        tag = RENAMED.get(tag, "p" if tag in PARAGRAPHS else tag)
        return tag if tag in ALLOWED_TAGS else None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.pieces.append("<p>&nbsp;</p>")
            return
        kept = self._tag(tag)
        if kept is None:
            return
        href = next((v for k, v in attrs if k == "href" and v), None) if kept == "a" else None
        self.pieces.append(f'<a href="{escape(href)}">' if href else f"<{kept}>")
        self.open.append(kept)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.pieces.append("<p>&nbsp;</p>")

    def handle_endtag(self, tag: str) -> None:
        kept = self._tag(tag)
        if kept is None or kept not in self.open:
            return
        while self.open:  # close what was left open inside it
            last = self.open.pop()
            self.pieces.append(f"</{last}>")
            if last == kept:
                break

    def handle_data(self, data: str) -> None:
        self.pieces.append(escape(data, quote=False))

    def handle_entityref(self, name: str) -> None:
        self.pieces.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.pieces.append(f"&#{name};")


def rich_text(html: str, limit: int = BODY_LIMIT) -> str:
    """``html`` with allowed tags only, every tag closed, cut to ``limit`` characters at a piece boundary."""
    parser = _RichText()
    parser.feed(html)
    parser.close()
    pieces, open_tags = parser.pieces, parser.open
    pieces += [f"</{tag}>" for tag in reversed(open_tags)]
    out: list[str] = []
    stack: list[str] = []
    size = 0
    for piece in pieces:
        closers = "".join(f"</{t}>" for t in reversed(stack))
        if size + len(piece) + len(closers) > limit:
            if not piece.startswith("<"):  # text: keep what fits
                room = limit - size - len(closers) - len(_ELLIPSIS)
                cut = piece[: max(0, room)]
                cut = cut[: cut.rfind("&")] if cut.rfind("&") > cut.rfind(";") else cut  # no half entity
                out.append(cut + _ELLIPSIS)
            out.append(closers)
            return "".join(out)
        out.append(piece)
        size += len(piece)
        match = re.fullmatch(r"<([a-z]+)[^>]*>", piece)
        if match and piece != "<p>&nbsp;</p>":
            stack.append(match.group(1))
        elif piece.startswith("</") and stack:
            stack.pop()
    return "".join(out)


def post_body(body: str, token: str) -> tuple[str, bool]:
    """``(Body, IsRichText)``: the post's body, ending with ``token``, within the 10,000 characters."""
    if is_html(body):
        tail = f"<p>{escape(token, quote=False)}</p>"
        return rich_text(body, BODY_LIMIT - len(tail)) + tail, True
    tail = f"\n\n{token}"
    room = BODY_LIMIT - len(tail)
    text = body if len(body) <= room else body[: room - len(_ELLIPSIS)] + _ELLIPSIS
    return text + tail, False


def carries(body: object, token: str) -> bool:
    """Whether a stored post's body carries ``token`` (however Salesforce stored the rest)."""
    return isinstance(body, str) and (token in body or escape(token, quote=False) in body)
