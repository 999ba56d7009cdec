import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.expressions import (
    ExpressionError,
    compile_expression,
    compile_text,
    expression_environment,
    template_environment,
    to_datetime,
    to_int,
    unknown_record_paths,
)

ENV = expression_environment()


def test_conditions_see_plain_record_dicts() -> None:
    expr = compile_expression(ENV, "record.Client_Status__c in ['Yellow', 'Orange'] and not record.Plan")
    assert expr.test({"record": {"Client_Status__c": "Orange", "Plan": None}})
    assert not expr.test({"record": {"Client_Status__c": "Green", "Plan": None}})


def test_an_undefined_name_fails_loudly_instead_of_being_false() -> None:
    expr = compile_expression(ENV, "record.Missing == 1")
    with pytest.raises(ExpressionError, match="Missing"):
        expr.test({"record": {}})


@pytest.mark.parametrize(
    "source",
    [
        "record.__class__.__mro__",
        "record.items.__globals__",
        "().__class__.__bases__[0].__subclasses__()",
        "record.update({'x': 1})",
        "record.pop('Name')",
    ],
)
def test_sandbox_blocks_python_internals_and_mutation(source: str) -> None:
    expr = compile_expression(ENV, source)
    record = {"Name": "x"}
    with pytest.raises(ExpressionError):
        expr({"record": record})
    assert record == {"Name": "x"}


def test_syntax_errors_are_reported_at_compile_time() -> None:
    with pytest.raises(ExpressionError, match="syntax error"):
        compile_expression(ENV, "record.Name ==")


def test_yaml_booleans_are_constant_conditions() -> None:
    assert compile_expression(ENV, True).test({})
    assert not compile_expression(ENV, False).test({})


def test_paths_and_names_are_found_for_validation() -> None:
    expr = compile_expression(
        ENV, "record.Office__r.Name and record['Plan'] and record.Name.upper() and previous.X"
    )
    assert expr.paths == {("Office__r", "Name"), ("Plan",), ("Name", "upper"), ("previous", "X")}
    assert expr.names == {"record", "previous"}
    fields = ["Office__r.Name", "Name"]
    assert unknown_record_paths([p for p in expr.paths if p[0] != "previous"], fields) == ["Plan"]


def test_templates_autoescape_html_only() -> None:
    env = template_environment(None)
    text = compile_text(env, "{{ record.Name }}")
    assert text.render({"record": {"Name": "<b>"}}) == "<b>"  # plain text is not escaped


def test_matching_test_is_a_full_match() -> None:
    expr = compile_expression(ENV, "record.Name is matching('[^ ].* - [^ ].*')")
    assert expr.test({"record": {"Name": "John Smith - No Call No Show"}})
    assert not expr.test({"record": {"Name": "John Smith"}})
    assert not expr.test({"record": {"Name": None}})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7),
        (" 10 ", 10),
        ("0", 0),
        (6, 6),
        (7.0, 7),
        ("7.5", None),
        ("N/A", None),
        ("", None),
        (None, None),
        (True, None),
    ],
)
def test_to_int(value: object, expected: int | None) -> None:
    assert to_int(value) == expected


@given(st.integers(-(10**6), 10**6))
def test_to_int_round_trips_integer_strings(n: int) -> None:
    assert to_int(str(n)) == n


@given(st.text(max_size=8))
def test_to_int_never_raises(text: str) -> None:
    result = to_int(text)
    assert result is None or isinstance(result, int)


@pytest.mark.parametrize(
    "value",
    ["2026-03-02T09:00:00.000+0000", "2026-03-02T09:00:00Z", "2026-03-02T04:00:00-05:00", "1772442000000"],
)
def test_to_datetime_reads_crm_timestamps(value: str) -> None:
    assert to_datetime(value) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_to_datetime_of_a_date_is_midnight_utc() -> None:
    assert to_datetime("2026-03-02") == datetime(2026, 3, 2, tzinfo=UTC)
    assert to_datetime("not a date") is None


@settings(deadline=None)  # no timed tests: a pause of a loaded machine is not a failure
@given(st.text(max_size=40))
def test_any_condition_text_compiles_or_fails_with_expression_error(text: str) -> None:
    try:
        expr = compile_expression(ENV, text)
    except ExpressionError:
        return
    with contextlib.suppress(ExpressionError):
        expr({"record": {}, "previous": None, "now": datetime(2026, 1, 1, tzinfo=UTC)})


scalars = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=5))


@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), scalars), st.sampled_from(["a", "b", "c"]))
def test_membership_and_blank_agree_with_python(record: dict[str, object], key: str) -> None:
    value = record.get(key)
    context = {"record": {"a": None, "b": None, "c": None, **record}}
    blank = compile_expression(ENV, f"record.{key} is blank")
    assert blank.test(context) == (value is None or (isinstance(value, str) and not value.strip()))
    member = compile_expression(ENV, f"record.{key} in ['Green', 'Red']")
    assert member.test(context) == (value in ("Green", "Red"))


@given(st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6))
def test_integer_comparisons_match_python(a: int, b: int) -> None:
    context = {"record": {"x": str(a), "y": b}}
    assert compile_expression(ENV, "(record.x | to_int) < record.y").test(context) == (a < b)
    assert compile_expression(ENV, "(record.x | to_int) + record.y").__call__(context) == a + b
