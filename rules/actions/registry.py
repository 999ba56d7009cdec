"""The registry of action kinds: every module of :mod:`rules.actions` that declares a kind, plus kinds
registered by other packages (an extension, a test)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from rules.actions.base import ActionKind

K = TypeVar("K", bound=type[ActionKind[Any, Any]])

_KINDS: dict[str, ActionKind[Any, Any]] = {}
_LOADED = False


def action_kind(cls: K) -> K:
    """Class decorator: register an action kind under its ``name``."""
    if cls.name in _KINDS and type(_KINDS[cls.name]) is not cls:
        raise ValueError(f"action kind {cls.name!r} is declared twice")
    _KINDS[cls.name] = cls()
    return cls


def _load_builtin() -> None:
    """Import every module of this package once, so each built-in kind declares itself."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    package = importlib.import_module("rules.actions")
    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        importlib.import_module(f"rules.actions.{module.name}")


def kinds() -> Mapping[str, ActionKind[Any, Any]]:
    """Every known action kind by name."""
    _load_builtin()
    return dict(_KINDS)


def kind(name: str) -> ActionKind[Any, Any] | None:
    _load_builtin()
    return _KINDS.get(name)


@contextmanager
def registered(*classes: type[ActionKind[Any, Any]]) -> Iterator[None]:
    """Register kinds for the duration of a block (tests, embedding)."""
    _load_builtin()
    before = dict(_KINDS)
    try:
        for cls in classes:
            action_kind(cls)
        yield
    finally:
        _KINDS.clear()
        _KINDS.update(before)
