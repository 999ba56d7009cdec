"""Keeping secrets and personal data out of log lines.

Secrets are removed by value (every configured token, secret, password and private key) and by shape
(``Authorization`` headers, bearer tokens, ``token=``/``secret=``/``password=`` pairs); email addresses
and the values of free-text fields (``comment``, ``feedback``...) are removed unless personal-data
redaction is turned off (``monitoring.redact_personal: false``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

SECRET_KEY = re.compile(r"(secret|token|password|passwd|private_key|api_key|authorization)", re.I)
_SHAPES = [
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(bearer\s+|basic\s+)?[^\s'\",}]+"),
    re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(
        r"(?i)([\w-]*(?:secret|token|password|passwd|private_key|api_key)[\w-]*['\"]?\s*[:=]\s*['\"]?)"
        r"[^\s'\"&,}]+"
    ),
]
EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
MASK = "[redacted]"


def secret_values(settings: Mapping[str, Any]) -> list[str]:
    """Every string under a key that names a secret, anywhere in a (dumped) settings tree."""
    found: list[str] = []

    def walk(node: Any, secret: bool) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(value, secret or bool(SECRET_KEY.search(str(key))))
        elif isinstance(node, list | tuple):
            for value in node:
                walk(value, secret)
        elif secret and isinstance(node, str) and len(node) >= 4:
            found.append(node)

    walk(settings, False)
    return found


class Redactor:
    """Scrubs one log line's text."""

    def __init__(
        self, secrets: Iterable[str] = (), personal: bool = True, free_text: Iterable[str] = ()
    ) -> None:
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self.personal = personal
        names = "|".join(re.escape(name) for name in free_text)
        self.free_text = (
            re.compile(
                rf"(?i)(['\"]?[\w-]*(?:{names})[\w-]*['\"]?\s*[:=]\s*)"
                r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
            )
            if names and personal
            else None
        )

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        for shape in _SHAPES:
            text = shape.sub(lambda m: m.group(1) + MASK, text)
        if self.personal:
            text = EMAIL.sub("[email]", text)
            if self.free_text is not None:
                text = self.free_text.sub(lambda m: f"{m.group(1)}{m.group(2)[0]}[text]{m.group(2)[0]}", text)
        return text
