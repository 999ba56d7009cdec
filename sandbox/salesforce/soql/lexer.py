"""SOQL tokens with their offsets in the query text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import malformed

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_TOKEN_RE = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})(?![\dT])
  | (?P<number>[+-]?\d+(?:\.\d+)?)(?![\w.])
  | (?P<ident>[A-Za-z][A-Za-z0-9_]*)
  | (?P<op>!=|<=|>=|=|<|>)
  | (?P<punct>[(),.:])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    """``kind`` is ident, string, number, date, datetime, op, punct or eof."""

    kind: str
    text: str
    offset: int
    value: Any = None

    def is_word(self, *words: str) -> bool:
        return self.kind == "ident" and self.text.upper() in words


def _string(text: str, start: int) -> tuple[Token, int]:
    """A quoted literal; ``\\%`` and ``\\_`` keep their backslash for LIKE."""
    chars: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "'":
            return Token("string", text[start : i + 1], start, "".join(chars)), i + 1
        if char == "\\":
            if i + 1 >= len(text):
                break
            escaped = text[i + 1]
            if escaped in "%_":
                chars.append("\\" + escaped)
            elif escaped in _ESCAPES:
                chars.append(_ESCAPES[escaped])
            else:
                raise malformed(
                    f"Invalid string literal '{text[start : i + 2]}'. Illegal character sequence "
                    f"'\\{escaped}' in string literal.",
                    i,
                )
            i += 2
            continue
        chars.append(char)
        i += 1
    raise malformed("unexpected token: <EOF>", len(text))


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos] == "'":
            token, pos = _string(text, pos)
            tokens.append(token)
            continue
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            raise malformed(f"unexpected token: '{text[pos]}'", pos)
        kind = match.lastgroup or ""
        lexeme = match.group()
        if kind != "space":
            value: Any = None
            if kind == "number":
                value = float(lexeme) if "." in lexeme else int(lexeme)
            tokens.append(Token(kind, lexeme, pos, value))
        pos = match.end()
    tokens.append(Token("eof", "<EOF>", len(text)))
    return tokens
