"""Reading YAML with positions: every value keeps the file, line and column it came from.

``include:`` files are merged into the main document (mappings merge key by key, lists append), and
``${VAR}`` / ``${VAR:-default}`` are interpolated from the environment in every string. Errors are
collected as :class:`ConfigError` values, each located as ``FILE:LINE:COL: key.path: message``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

Loc = tuple[str | int, ...]

_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True, order=True)
class Position:
    file: str
    line: int
    col: int


@dataclass(frozen=True)
class ConfigError:
    """One located problem in the configuration."""

    position: Position
    loc: Loc
    message: str

    def __str__(self) -> str:
        path = format_loc(self.loc) or "(top)"
        return f"{self.position.file}:{self.position.line}:{self.position.col}: {path}: {self.message}"


def format_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class ConfigErrors(Exception):
    """Raised with every error found, so ``validate`` can print them all."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.position, str(e.loc)))
        super().__init__("\n".join(str(e) for e in self.errors))


@dataclass
class Document:
    """Plain data (dicts, lists, scalars) plus the position of every node by its key path."""

    data: Any
    positions: dict[Loc, Position] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    def position(self, loc: Loc) -> Position:
        """The position of ``loc`` or of its nearest ancestor that has one."""
        for end in range(len(loc), -1, -1):
            found = self.positions.get(tuple(loc[:end]))
            if found is not None:
                return found
        return Position(str(self.files[0]) if self.files else "<config>", 1, 1)

    def error(self, loc: Loc, message: str) -> ConfigError:
        return ConfigError(self.position(loc), tuple(loc), message)


@dataclass(frozen=True)
class Environment:
    """Where ``${VAR}`` values come from. Offline (``validate --offline``, a rules repository's CI with
    no secrets), an unset variable without a default reads as a placeholder instead of an error."""

    variables: Mapping[str, str] = field(default_factory=lambda: os.environ)
    offline: bool = False

    def placeholder(self, name: str) -> str:
        return f"offline-{name.lower()}"


def _plain(
    node: Any,
    file: str,
    loc: Loc,
    positions: dict[Loc, Position],
    errors: list[ConfigError],
    env: Environment,
) -> Any:
    """Convert ruamel nodes to plain data, recording positions and interpolating the environment."""
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            line, col = node.lc.key(key) if key in node.lc.data else (node.lc.line, node.lc.col)
            key_loc = (*loc, key)
            positions[key_loc] = Position(file, line + 1, col + 1)
            out[key] = _plain(value, file, key_loc, positions, errors, env)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            line, col = node.lc.item(index)
            item_loc = (*loc, index)
            positions[item_loc] = Position(file, line + 1, col + 1)
            items.append(_plain(value, file, item_loc, positions, errors, env))
        return items
    if isinstance(node, str):
        return _interpolate(str(node), file, loc, positions, errors, env)
    return node


def _interpolate(
    text: str,
    file: str,
    loc: Loc,
    positions: dict[Loc, Position],
    errors: list[ConfigError],
    env: Environment,
) -> str:
    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = env.variables.get(name)
        if value is not None and (value != "" or default is None):
            return value
        if default is not None:
            return default
        if env.offline:
            return env.placeholder(name)
        pos = positions.get(loc, Position(file, 1, 1))
        errors.append(ConfigError(pos, loc, f"environment variable {name} is not set"))
        return ""

    return _ENV_RE.sub(replace, text)


def _syntax_error(path: Path, exc: MarkedYAMLError) -> ConfigError:
    """A YAML syntax error located at the start of the broken construct (an unclosed ``[``), naming
    also where the parser gave up, which can be lines later."""
    start, gave_up = exc.context_mark, exc.problem_mark
    mark = start or gave_up
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message = f"YAML syntax error: {exc.problem or exc.context or 'unreadable'}"
    if start is not None:
        what = (exc.context or "a construct").removeprefix("while parsing ").removeprefix("while scanning ")
        message = f"YAML syntax error in {what} that starts here: {exc.problem or 'unexpected content'}"
        if gave_up is not None and (gave_up.line, gave_up.column) != (start.line, start.column):
            message += f" (at line {gave_up.line + 1}, column {gave_up.column + 1})"
    return ConfigError(Position(str(path), line, col), (), message)


def _parse_file(
    path: Path, errors: list[ConfigError], env: Environment
) -> tuple[Any, dict[Loc, Position]] | None:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        errors.append(ConfigError(Position(str(path), 1, 1), (), "file not found"))
        return None
    except OSError as exc:
        errors.append(ConfigError(Position(str(path), 1, 1), (), f"cannot read: {exc.strerror}"))
        return None
    except MarkedYAMLError as exc:
        errors.append(_syntax_error(path, exc))
        return None
    except YAMLError as exc:
        errors.append(ConfigError(Position(str(path), 1, 1), (), f"YAML error: {exc}"))
        return None
    positions: dict[Loc, Position] = {(): Position(str(path), 1, 1)}
    data = _plain(raw, str(path), (), positions, errors, env)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        errors.append(ConfigError(positions[()], (), "the file must be a mapping of sections"))
        return None
    return data, positions


def _merge(
    target: dict[str, Any],
    target_pos: dict[Loc, Position],
    extra: dict[str, Any],
    extra_pos: dict[Loc, Position],
    errors: list[ConfigError],
) -> None:
    """Merge an included document: mappings key by key, lists appended, a repeated scalar is an error."""

    def shift(src: Loc, dst: Loc) -> None:
        for loc, pos in extra_pos.items():
            if loc[: len(src)] == src:
                target_pos[dst + loc[len(src) :]] = pos

    def merge_into(dst: dict[str, Any], src: Mapping[str, Any], loc: Loc) -> None:
        for key, value in src.items():
            key_loc = (*loc, key)
            if key not in dst:
                dst[key] = value
                shift(key_loc, key_loc)
            elif isinstance(dst[key], dict) and isinstance(value, dict):
                merge_into(dst[key], value, key_loc)
            elif isinstance(dst[key], list) and isinstance(value, list):
                offset = len(dst[key])
                dst[key].extend(value)
                for index in range(len(value)):
                    shift((*key_loc, index), (*key_loc, offset + index))
            else:
                first = target_pos.get(key_loc)
                where = f" (first defined at {first.file}:{first.line})" if first else ""
                errors.append(
                    ConfigError(
                        extra_pos.get(key_loc, extra_pos[()]), key_loc, f"{key!r} is defined twice{where}"
                    )
                )

    merge_into(target, extra, ())


def load_document(path: Path, env: Environment | None = None) -> tuple[Document, list[ConfigError]]:
    """Read the main file and its ``include:`` files into one positioned document."""
    env = env or Environment()
    errors: list[ConfigError] = []
    parsed = _parse_file(path, errors, env)
    if parsed is None:
        return Document({}, {}, [path]), errors
    data, positions = parsed
    doc = Document(data, positions, [path])
    includes = data.pop("include", None) or []
    if isinstance(includes, str):
        includes = [includes]
    if not isinstance(includes, list):
        errors.append(doc.error(("include",), "include must be a list of file paths"))
        includes = []
    for index, name in enumerate(includes):
        loc: Loc = ("include", index)
        if not isinstance(name, str):
            errors.append(doc.error(loc, "an include must be a file path"))
            continue
        child_path = (path.parent / name).resolve() if not Path(name).is_absolute() else Path(name)
        if child_path in [p.resolve() for p in doc.files]:
            errors.append(doc.error(loc, f"{name} is included twice (or includes itself)"))
            continue
        child_errors: list[ConfigError] = []
        child = _parse_file(child_path, child_errors, env)
        for err in child_errors:
            if err.message in ("file not found",) or err.message.startswith("cannot read"):
                errors.append(doc.error(loc, f"include {name}: {err.message}"))
            else:
                errors.append(err)
        if child is None:
            continue
        child_data, child_pos = child
        if "include" in child_data:
            errors.append(
                ConfigError(
                    child_pos[("include",)], ("include",), "included files cannot include further files"
                )
            )
            child_data.pop("include")
        doc.files.append(child_path)
        _merge(doc.data, doc.positions, child_data, child_pos, errors)
    return doc, errors
