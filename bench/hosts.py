"""Starting sandbox hosts (``bench.host`` processes) and pointing a worker's configuration at one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def sandbox_host() -> Iterator[dict[str, str]]:
    """A sandbox host process; yields the environment a worker needs to reach it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.host"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the sandbox host did not start")
        yield dict(json.loads(line)["env"])
    finally:
        if process.stdin is not None:
            process.stdin.close()  # the host serves until its stdin closes
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def environment(env: Mapping[str, str]) -> Iterator[None]:
    """``env`` set in ``os.environ`` for the block (config.yaml reads the CRM settings from it)."""
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
