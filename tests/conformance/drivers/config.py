"""A driver's stream, compiled from a small configuration file as the worker would load it."""

from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path

from rules.model import RuleSet, Stream
from sync.connectors.registry import load_config


def load_stream(text: str, name: str) -> tuple[RuleSet, Stream]:
    """The rule set of the YAML ``text`` and its stream ``name`` (``crm.key``)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.yaml"
        path.write_text(textwrap.dedent(text).strip() + "\n")
        ruleset = load_config(path)
    return ruleset, ruleset.streams[name]
