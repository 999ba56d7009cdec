"""The first pass over a loaded YAML document: secrets read from files, then the shape of every section
checked against its pydantic model (CRM sections against their adapter's model), section by section and
rule by rule, so one mistake does not hide the next."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from rules import settings as s
from rules.actions.registry import kinds
from rules.platform import Profiles
from rules.source import ConfigError, Document, Loc


def suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def read_secret_files(
    doc: Document, base: Path, sections: Iterable[str], errors: list[ConfigError], offline: bool = False
) -> None:
    """Replace ``NAME_file: path`` in the CRM sections with ``NAME: <file contents>`` (offline, a
    placeholder: the file is a secret mounted where the worker runs, not where rules are checked)."""
    for section in sections:
        block = doc.data.get(section)
        if not isinstance(block, dict):
            continue
        for key in [k for k in block if isinstance(k, str) and k.endswith("_file")]:
            target = key[: -len("_file")]
            loc: Loc = (section, key)
            if target in block:
                errors.append(doc.error(loc, f"give either {target} or {key}, not both"))
                continue
            value = block.pop(key)
            if not isinstance(value, str) or not value:
                errors.append(doc.error(loc, "expected a file path"))
                continue
            file = Path(value) if Path(value).is_absolute() else base / value
            if offline:
                block[target] = f"offline-{target}"
                doc.positions[(section, target)] = doc.position(loc)
                continue
            try:
                block[target] = file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                errors.append(doc.error(loc, f"cannot read {value}: {exc.strerror or exc}"))
                continue
            doc.positions[(section, target)] = doc.position(loc)


def _pydantic_errors(doc: Document, prefix: Loc, exc: ValidationError, model: Any) -> list[ConfigError]:
    out = []
    for err in exc.errors():
        loc = (*prefix, *(part for part in err["loc"] if not str(part).startswith("function-")))
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = f"unknown key {loc[-1]!r}" + suggest(str(loc[-1]), _known_keys(model, err["loc"][:-1]))
        elif err["type"] == "missing":
            message = "required key is missing"
        out.append(doc.error(loc, message))
    return out


def _known_keys(model: Any, path: Iterable[Any]) -> list[str]:
    """The field names of the pydantic model found by following ``path`` from ``model``."""
    current = model
    for part in path:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        info = current.model_fields.get(str(part))
        if info is None:
            return []
        current = _model_in(info.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def validate_settings(doc: Document, crms: Profiles, errors: list[ConfigError]) -> s.Settings | None:
    """The validated settings, or ``None`` when any section is invalid (every problem in ``errors``)."""
    validated: dict[str, Any] = {}
    connections: dict[str, Any] = {}
    before = len(errors)
    failed = False
    sections = [name for name in s.Settings.model_fields if name != "connections"]
    for key, value in doc.data.items():
        profile = crms.get(key) if isinstance(key, str) else None
        info = s.Settings.model_fields.get(key) if isinstance(key, str) and key in sections else None
        annotation: Any = profile.settings if profile is not None else (info.annotation if info else None)
        if annotation is None:
            message = f"unknown section {key!r}" + suggest(str(key), [*sections, *crms, "include"])
            errors.append(doc.error((key,), message))
            continue
        if key == "rules":
            validated[key] = _validate_rules(doc, value, errors)
            continue
        try:
            parsed = TypeAdapter(annotation).validate_python(value)
        except ValidationError as exc:
            failed = True
            # A value already reported (an unset environment variable) is not reported again.
            reported = [e.loc for e in errors]
            errors.extend(
                e
                for e in _pydantic_errors(doc, (key,), exc, _model_in(annotation))
                if not any(r[: len(e.loc)] == e.loc for r in reported)
            )
            continue
        (connections if profile is not None else validated)[key] = parsed
    if failed or len(errors) > before:
        return None
    return s.Settings.model_validate({**validated, "connections": connections})


def _validate_rules(doc: Document, value: Any, errors: list[ConfigError]) -> list[s.RuleSettings]:
    if not isinstance(value, list):
        errors.append(doc.error(("rules",), "rules must be a list"))
        return []
    known = kinds()
    out = []
    for index, item in enumerate(value):
        try:
            rule = s.RuleSettings.model_validate(item)
        except ValidationError as exc:
            errors.extend(_pydantic_errors(doc, ("rules", index), exc, s.RuleSettings))
            continue
        for a_index, action in enumerate(rule.actions):
            loc: Loc = ("rules", index, "actions", a_index)
            if len(action) != 1:
                errors.append(doc.error(loc, "an action is a mapping with one key, the action kind"))
                continue
            ((name, params),) = action.items()
            kind = known.get(name)
            if kind is None:
                errors.append(doc.error(loc, f"unknown action {name!r}" + suggest(name, sorted(known))))
                continue
            try:
                kind.params.model_validate(params or {})
            except ValidationError as exc:
                errors.extend(_pydantic_errors(doc, (*loc, name), exc, kind.params))
        out.append(rule)
    return out
