"""How the emulated org stores a rich-text FeedItem body (``IsRichText``).

FeedItem rich text takes a few tags only (FeedItem object reference: ``p, b, code, i, u, s, ul, ol, li,
a, img``); what Salesforce does with others, and whether it rewrites a body it accepts, is undocumented.
The emulator guesses: other tags are dropped (their text kept), attributes other than ``href`` dropped,
and text outside a block is wrapped in ``<p>``. So a stored body need not equal the body sent.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

ALLOWED_TAGS = frozenset({"p", "b", "code", "i", "u", "s", "ul", "ol", "li", "a", "img"})
_BLOCKS = frozenset({"p", "ul", "ol"})
_VOID = frozenset({"img"})


class _Normalizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.depth = 0  # open block elements
        self.wrapped = False  # a <p> the normalizer opened around loose text

    def _loose(self) -> None:
        if self.depth == 0 and not self.wrapped:
            self.out.append("<p>")
            self.wrapped = True

    def _close_wrap(self) -> None:
        if self.wrapped:
            self.out.append("</p>")
            self.wrapped = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            return
        if tag in _BLOCKS:
            self._close_wrap()
            self.depth += 1
        elif tag != "li":
            self._loose()
        keep = "".join(f' {k}="{escape(v or "")}"' for k, v in attrs if k in ("href", "src"))
        self.out.append(f"<{tag}{keep}>")

    def handle_endtag(self, tag: str) -> None:
        if tag not in ALLOWED_TAGS or tag in _VOID:
            return
        self.out.append(f"</{tag}>")
        if tag in _BLOCKS:
            self.depth = max(0, self.depth - 1)

    def handle_data(self, data: str) -> None:
        if not data.strip() and self.depth == 0:
            return
        self._loose()
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self._loose()
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._loose()
        self.out.append(f"&#{name};")


def normalize_rich_text(body: str) -> str:
    """``body`` as the emulated org stores it."""
    parser = _Normalizer()
    parser.feed(body)
    parser.close()
    parser._close_wrap()
    return "".join(parser.out)
