"""Salesforce record ids: 15-char case-sensitive ids plus the 3-char case-safe suffix."""

from __future__ import annotations

import re

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_POD = "8c0"
_ID_RE = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")
ORG_ID = "00D8c000001SbXzEAK"


def checksum(id15: str) -> str:
    """The 3-char suffix that makes a 15-char id unique case-insensitively."""
    suffix = ""
    for chunk in range(3):
        bits = 0
        for i, char in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << i
        suffix += _SUFFIX[bits]
    return suffix


def make_id(prefix: str, number: int) -> str:
    """The 18-char id number ``number`` of the object with key prefix ``prefix``; sortable by number."""
    digits = ""
    for _ in range(9):
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
    id15 = prefix + _POD + digits
    return id15 + checksum(id15)


def normalize(value: str) -> str | None:
    """The 18-char form of a 15/18-char id, or None when ``value`` is not an id."""
    if not _ID_RE.fullmatch(value):
        return None
    id15 = value[:15]
    return id15 + checksum(id15)
