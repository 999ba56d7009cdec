"""Untrusted input never crashes a cycle: any record a CRM sends is evaluated to decisions, notices or a
rejection, and any configuration is either compiled or refused with located errors."""

from __future__ import annotations

import copy
import math
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from rules.evaluate import Evaluation, History, Outcome, evaluate
from rules.model import RuleSet
from rules.source import ConfigErrors
from sync.connectors.registry import load_config
from tests.conftest import CHANNEL_PLACEHOLDERS

ROOT = Path(__file__).resolve().parents[2]
ENV = {
    "SALESFORCE_LOGIN_URL": "https://example.my.salesforce.com",
    "SALESFORCE_CLIENT_ID": "id",
    "SALESFORCE_CLIENT_SECRET": "secret",
    "HUBSPOT_ACCESS_TOKEN": "token",
    **CHANNEL_PLACEHOLDERS,
}
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def shipped() -> RuleSet:
    saved = {k: os.environ.get(k) for k in ENV}
    os.environ.update(ENV)
    try:
        return load_config(ROOT / "config.yaml")
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(
        ["N/A", "11", "7.5", "-1", "", " ", "2026-02-30", "2026-03-02T09:00:00.000+0000", "<b>x</b>"]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
    max_leaves=12,
)


def records_of(ruleset: RuleSet, stream_name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Records with the stream's fields (top level and relationship paths) holding anything at all."""
    stream = ruleset.streams[stream_name]
    heads = sorted({field.split(".")[0] for field in stream.fields})
    return st.fixed_dictionaries(
        {stream.id_field: st.text(min_size=1, max_size=18)},
        optional={head: values for head in heads if head != stream.id_field},
    )


def _check(result: Evaluation) -> None:
    assert isinstance(result, Evaluation)
    for action in result.actions:
        action.payload.dump()  # every planned payload serialises into the ledger


@pytest.mark.parametrize("stream_name", ["salesforce.sli", "hubspot.nps"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_record_is_decided_noticed_or_rejected_never_a_crash(
    shipped: RuleSet, stream_name: str, data: st.DataObject
) -> None:
    stream = shipped.streams[stream_name]
    record = data.draw(records_of(shipped, stream_name))
    before = copy.deepcopy(record)
    armed = {
        (rule.id, "once"): Outcome("armed", NOW - timedelta(days=40), NOW - timedelta(days=1))
        for rule in shipped.rules_for(stream_name)
        if rule.timer is not None
    }
    for history in (History(), History(NOW - timedelta(days=40), record, armed)):
        _check(evaluate(shipped, stream, record, history, NOW))
    assert record == before or any(isinstance(v, float) and math.isnan(v) for v in _leaves(before))


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def _mutations(document: Any) -> st.SearchStrategy[Any]:
    """The shipped configuration with one to three random edits: a key dropped, renamed or given a
    value of another type, anywhere in the tree."""

    def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        found = [prefix] if prefix else []
        if isinstance(node, dict):
            for key, value in node.items():
                found += paths(value, (*prefix, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                found += paths(value, (*prefix, index))
        return found

    all_paths = paths(document)
    edit = st.tuples(st.sampled_from(all_paths), st.sampled_from(["drop", "rename", "replace"]), values)
    return st.lists(edit, min_size=1, max_size=3)


def _apply(document: Any, edits: list[tuple[tuple[Any, ...], str, Any]]) -> Any:
    document = copy.deepcopy(document)
    for path, how, value in edits:
        parent = document
        try:
            for part in path[:-1]:
                parent = parent[part]
            key = path[-1]
            if how == "drop":
                del parent[key]
            elif how == "rename" and isinstance(parent, dict):
                parent[f"{key}x"] = parent.pop(key)
            else:
                parent[key] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed the place
    return document


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_edit_of_the_config_compiles_or_is_refused_with_located_errors(
    data: st.DataObject, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    yaml = YAML(typ="safe")
    document = yaml.load((ROOT / "config.yaml").read_text())
    edited = _apply(document, data.draw(_mutations(document)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.yaml"
        (Path(folder) / "templates").symlink_to(ROOT / "templates")
        with path.open("w") as handle:
            YAML(typ="safe").dump(edited, handle)
        try:
            load_config(path)
        except ConfigErrors as exc:
            assert exc.errors
            for error in exc.errors:
                assert error.position.line >= 1 and error.message, error
