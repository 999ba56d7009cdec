"""The sandbox's state file: ``state_dir/state.json``, loaded on start and saved atomically after changes."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STATE_FILE = "state.json"
STATE_FORMAT = 1

Snapshot = Callable[[], dict[str, Any]]
Restore = Callable[[dict[str, Any]], None]


class StateFile:
    """Keeps ``state_dir/state.json`` in step with ``snapshot()``.

    ``changed(mutating=True)`` saves at once, or ``debounce_s`` later when that is above 0; ``flush()``
    saves pending changes now and ``close()`` saves and stops the timer. ``lock`` is the owner's lock:
    the dirty flag and the snapshot are taken under it.
    """

    def __init__(
        self,
        state_dir: Path,
        snapshot: Snapshot,
        restore: Restore,
        lock: threading.RLock,
        debounce_s: float = 0.0,
    ) -> None:
        self.path = state_dir / STATE_FILE
        self.debounce_s = debounce_s
        self._snapshot = snapshot
        self._restore = restore
        self._lock = lock
        self._save_lock = threading.Lock()
        self._dirty = False
        self._timer: threading.Timer | None = None
        self._closed = False
        state_dir.mkdir(parents=True, exist_ok=True)

    def load(self) -> bool:
        """Restore from the file if there is one; True when something was loaded."""
        if not self.path.exists():
            return False
        try:
            self._restore(json.loads(self.path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as exc:
            raise RuntimeError(
                f"cannot load sandbox state {self.path}: {exc} (delete it to start over)"
            ) from exc
        return True

    def save(self) -> None:
        """Write the file atomically (temp file + rename)."""
        with self._save_lock:
            with self._lock:
                self._dirty = False
                state = self._snapshot()
            data = json.dumps(state, indent=1, sort_keys=True)
            fd, tmp = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise

    def changed(self, *, mutating: bool) -> None:
        """Note a change; a mutating one is saved now or after the debounce delay."""
        with self._lock:
            self._dirty = True
            if not mutating or self._closed:
                return
            if self.debounce_s > 0:
                if self._timer is None:
                    self._timer = threading.Timer(self.debounce_s, self._debounced_save)
                    self._timer.daemon = True
                    self._timer.start()
                return
        self._safe_save()

    def _debounced_save(self) -> None:
        with self._lock:
            self._timer = None
        self._safe_save()

    def _safe_save(self) -> None:
        try:
            self.save()
        except Exception:
            log.exception("saving sandbox state failed")

    def flush(self) -> None:
        """Save now if anything changed since the last save."""
        with self._lock:
            timer, self._timer = self._timer, None
            dirty = self._dirty
        if timer is not None:
            timer.cancel()
        if dirty:
            self.save()

    def close(self) -> None:
        """Stop the debounce timer and save."""
        with self._lock:
            timer, self._timer = self._timer, None
            self._closed = True
        if timer is not None:
            timer.cancel()
        self.save()
