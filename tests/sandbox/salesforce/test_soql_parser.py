"""The SOQL lexer and parser: structure, case-insensitivity, literals, and positioned syntax errors."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.salesforce.soql.errors import SoqlError
from sandbox.salesforce.soql.parser import parse
from sandbox.salesforce.soql.syntax import BoolOp, Comparison, Literal, Not, OrderItem, Path


def plain(node: Any) -> Any:
    """An AST without source offsets, for structural comparison."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return (
            type(node).__name__,
            *(
                plain(getattr(node, f.name))
                for f in dataclasses.fields(node)
                if f.name not in ("offset", "sobject_offset")
            ),
        )
    if isinstance(node, tuple):
        return tuple(plain(n) for n in node)
    return node


def test_select_list_paths_and_clauses() -> None:
    query = parse(
        "SELECT Id, Referral_Account__r.Owner.Manager.Email FROM Service_Level_Intervention__c "
        "WHERE Client_Status__c = 'Red' ORDER BY SystemModstamp DESC NULLS LAST, Id LIMIT 50 OFFSET 10"
    )
    assert [p.parts for p in query.fields] == [("Id",), ("Referral_Account__r", "Owner", "Manager", "Email")]
    assert query.sobject == "Service_Level_Intervention__c"
    assert plain(query.where) == plain(
        Comparison(Path(("Client_Status__c",), 0), "=", Literal("string", "Red", 0))
    )
    assert plain(query.order_by) == plain(
        (OrderItem(Path(("SystemModstamp",), 0), True, True), OrderItem(Path(("Id",), 0), False, False))
    )
    assert (query.limit, query.offset, query.count) == (50, 10, False)


def test_keywords_are_case_insensitive() -> None:
    lower = parse("select id from account where name like 'a%' and not id in ('x') order by name asc limit 1")
    upper = parse("SELECT id FROM account WHERE name LIKE 'a%' AND NOT id IN ('x') ORDER BY name ASC LIMIT 1")
    assert plain(lower) == plain(upper)


def test_count_query() -> None:
    query = parse("SELECT COUNT() FROM Task WHERE IsClosed = false")
    assert query.count and query.fields == ()


def test_literal_kinds() -> None:
    query = parse(
        "SELECT Id FROM Task WHERE A = 'it\\'s' OR B = -1.5 OR C = TRUE OR D = null OR E = 2026-01-05 "
        "OR F = 2026-01-05T10:00:00Z OR G = 2026-01-05T10:00:00.250+05:30 OR H = LAST_N_DAYS:7 OR I = TODAY"
    )
    assert isinstance(query.where, BoolOp)
    literals = [plain(c.value) for c in query.where.items if isinstance(c, Comparison)]
    assert [lit[1] for lit in literals] == [
        "string",
        "number",
        "boolean",
        "null",
        "date",
        "datetime",
        "datetime",
        "relative",
        "relative",
    ]
    assert literals[7][2] == ("LAST_N_DAYS", 7)


def test_string_escapes_keep_like_wildcard_escapes() -> None:
    query = parse(r"SELECT Id FROM Account WHERE Name LIKE '50\%\_off \'quoted\' \\ \n'")
    assert isinstance(query.where, Comparison) and isinstance(query.where.value, Literal)
    assert query.where.value.value == "50\\%\\_off 'quoted' \\ \n"


def test_not_binds_to_the_next_condition_and_parentheses_group() -> None:
    query = parse("SELECT Id FROM Account WHERE NOT Name = 'a' AND (Name = 'b' OR Name = 'c')")
    assert isinstance(query.where, BoolOp) and query.where.op == "AND"
    first, second = query.where.items
    assert isinstance(first, Not)
    assert isinstance(second, BoolOp) and second.op == "OR"


@pytest.mark.parametrize(
    ("soql", "column", "detail"),
    [
        ("SELECT Id FROM Account WHERE", 29, "unexpected token: <EOF>"),
        ("SELECT Id FROM Account WHERE Name = 'a' AND Id = 'b' OR Id = 'c'", 54, "unexpected token: 'OR'"),
        ("SELECT FROM Account", 8, "unexpected token: 'FROM'"),
        ("SELECT Id Account", 11, "unexpected token: 'Account'"),
        ("SELECT Id FROM Account LIMIT x", 30, "unexpected token: 'x'"),
        ("SELECT Id FROM Account WHERE Name = 'open", 42, "unexpected token: <EOF>"),
        ("SELECT Id FROM Account WHERE Name = :bound", 37, "unexpected token: ':'"),
        ("SELECT Id FROM Account WHERE Name ~ 'a'", 35, "unexpected token: '~'"),
    ],
)
def test_malformed_queries_report_row_and_column(soql: str, column: int, detail: str) -> None:
    with pytest.raises(SoqlError) as caught:
        parse(soql)
    assert caught.value.code == "MALFORMED_QUERY"
    message = caught.value.render(soql)
    assert message.startswith(f"\n{soql}\n{' ' * (column - 1)}^\n")
    assert message.endswith(f"ERROR at Row:1:Column:{column}\n{detail}")


def test_error_position_on_a_later_line() -> None:
    soql = "SELECT Id\nFROM Account\nWHERE Name = = 'x'"
    with pytest.raises(SoqlError) as caught:
        parse(soql)
    assert "ERROR at Row:3:Column:14" in caught.value.render(soql)


def test_invalid_escape_is_malformed() -> None:
    with pytest.raises(SoqlError, match="Illegal character sequence"):
        parse(r"SELECT Id FROM Account WHERE Name = 'a\q'")


# -- round trip: rendering any supported AST and parsing it back gives the same tree ---------------------

FIELDS = st.sampled_from(["Name", "Id", "Owner.Email", "Referral_Account__r.Owner.Manager.Email", "IsActive"])
STRINGS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12)


def quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


LITERALS = st.one_of(
    STRINGS.map(lambda s: (quote(s), ("string", s))),
    st.integers(-(10**6), 10**6).map(lambda n: (str(n), ("number", n))),
    st.booleans().map(lambda b: (str(b).lower(), ("boolean", b))),
    st.just(("null", ("null", None))),
    st.dates().map(lambda d: (d.isoformat(), ("date", d.isoformat()))).filter(lambda x: len(x[0]) == 10),
)


@st.composite
def comparisons(draw: st.DrawFn) -> tuple[str, Any]:
    field = draw(FIELDS)
    path = ("Path", tuple(field.split(".")))
    if draw(st.booleans()):
        op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">="]))
        text, lit = draw(LITERALS)
        return f"{field} {op} {text}", ("Comparison", path, op, ("Literal", *lit))
    op = draw(st.sampled_from(["IN", "NOT IN"]))
    items = draw(st.lists(LITERALS, min_size=1, max_size=3))
    rendered = ", ".join(t for t, _ in items)
    return f"{field} {op} ({rendered})", (
        "Comparison",
        path,
        op,
        tuple(("Literal", *lit) for _, lit in items),
    )


def conditions() -> st.SearchStrategy[tuple[str, Any]]:
    def extend(children: st.SearchStrategy[tuple[str, Any]]) -> st.SearchStrategy[tuple[str, Any]]:
        negated = children.map(lambda c: (f"NOT ({c[0]})", ("Not", c[1])))
        combined = st.tuples(st.sampled_from(["AND", "OR"]), st.lists(children, min_size=2, max_size=3)).map(
            lambda t: (
                f" {t[0]} ".join(f"({c[0]})" for c in t[1]),
                ("BoolOp", t[0], tuple(c[1] for c in t[1])),
            )
        )
        return st.one_of(negated, combined)

    return st.recursive(comparisons(), extend, max_leaves=6)


@given(conditions())
def test_where_round_trip(condition: tuple[str, Any]) -> None:
    text, expected = condition
    assert plain(parse(f"SELECT Id FROM Account WHERE {text}").where) == expected
