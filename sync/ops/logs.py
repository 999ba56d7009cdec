"""Log output: human text on a terminal, JSON lines otherwise (or as configured), a run id on every
line written during a cycle, and every line (message, arguments and traceback) redacted."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from sync.ops.context import current_run
from sync.ops.redact import MASK, SECRET_KEY, Redactor

LogFormat = Literal["auto", "text", "json"]
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class RunContext(logging.Filter):
    """Puts the current cycle's run id (or ``-``) on the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "run_id", None):  # a line about a finished cycle names it itself
            record.run_id = current_run.get() or "-"
        return True


class _Redacting(logging.Formatter):
    def __init__(self, redactor: Redactor, fmt: str | None = None) -> None:
        super().__init__(fmt)
        self.redactor = redactor

    def _fields(self, record: logging.LogRecord) -> dict[str, Any]:
        """The structured extras given with ``extra={...}`` (each value redacted when it is text)."""
        return {
            k: self._clean(v)
            for k, v in record.__dict__.items()
            if k not in _STANDARD and k != "run_id" and not k.startswith("_")
        }

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redactor(value)
        if isinstance(value, dict):
            return {k: MASK if SECRET_KEY.search(str(k)) else self._clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._clean(v) for v in value]
        return value


class TextFormatter(_Redacting):
    """``TIME LEVEL [run] logger: message``"""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__(redactor, "%(asctime)s %(levelname)s [%(run_id)s] %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return self.redactor(super().format(record))  # the message says what the JSON extras hold


class JsonFormatter(_Redacting):
    """One JSON object a line: ``time``, ``level``, ``logger``, ``run_id``, ``message``, the extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "run_id": getattr(record, "run_id", None) or "-",
            "message": self.redactor(record.getMessage()),
            **self._fields(record),
        }
        if record.exc_info:
            line["exception"] = self.redactor(self.formatException(record.exc_info))
        return self.redactor(json.dumps(line, default=str))  # what a field's name says is personal, too


def configure_logging(
    fmt: LogFormat = "auto",
    level: int = logging.INFO,
    redactor: Redactor | None = None,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Replace the root logger's handlers with one redacting handler; returns it."""
    out = stream or sys.stderr
    if fmt == "auto":
        fmt = "text" if out.isatty() else "json"
    redactor = redactor or Redactor()
    handler = logging.StreamHandler(out)
    handler.addFilter(RunContext())
    handler.setFormatter(JsonFormatter(redactor) if fmt == "json" else TextFormatter(redactor))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("apscheduler", "urllib3"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    return handler


def set_redactor(redactor: Redactor) -> None:
    """Use this redactor on every handler configured here (once the config, and its secrets, are known)."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler.formatter, _Redacting):
            handler.formatter.redactor = redactor
