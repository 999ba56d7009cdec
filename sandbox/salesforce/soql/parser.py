"""Recursive-descent parser for the supported SOQL subset.

query     := SELECT (COUNT '(' ')' | path (',' path)*) FROM name [WHERE condition]
             [ORDER BY order (',' order)*] [LIMIT int] [OFFSET int]
condition := unary (AND unary)* | unary (OR unary)*      -- mixing AND/OR needs parentheses
unary     := NOT unary | '(' condition ')' | path op value | path [NOT] IN '(' value (',' value)* ')'
             | path LIKE string
"""

from __future__ import annotations

from .errors import malformed
from .lexer import Token, tokenize
from .syntax import (
    RELATIVE_DATES,
    RELATIVE_DATES_N,
    BoolOp,
    Comparison,
    Condition,
    Literal,
    Not,
    OrderItem,
    Path,
    Query,
)

_CLAUSE_WORDS = ("FROM", "WHERE", "ORDER", "LIMIT", "OFFSET", "AND", "OR", "NOT", "SELECT", "BY")


def parse(text: str) -> Query:
    """Parse ``text``; raises ``SoqlError`` (MALFORMED_QUERY) with the offending position."""
    return _Parser(tokenize(text)).query()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind != "eof":
            self.pos += 1
        return token

    def unexpected(self) -> Exception:
        token = self.token
        shown = token.text if token.kind == "eof" else f"'{token.text}'"
        return malformed(f"unexpected token: {shown}", token.offset)

    def word(self, *words: str) -> Token:
        if not self.token.is_word(*words):
            raise self.unexpected()
        return self.advance()

    def punct(self, char: str) -> Token:
        if not (self.token.kind == "punct" and self.token.text == char):
            raise self.unexpected()
        return self.advance()

    def at_punct(self, char: str) -> bool:
        return self.token.kind == "punct" and self.token.text == char

    def query(self) -> Query:
        self.word("SELECT")
        count = False
        fields: list[Path] = []
        if self.token.is_word("COUNT") and self.tokens[self.pos + 1].text == "(":
            self.advance()
            self.punct("(")
            self.punct(")")
            count = True
        else:
            fields.append(self.path())
            while self.at_punct(","):
                self.advance()
                fields.append(self.path())
        self.word("FROM")
        sobject = self.name()
        where = None
        if self.token.is_word("WHERE"):
            self.advance()
            where = self.condition()
        order: list[OrderItem] = []
        if self.token.is_word("ORDER"):
            self.advance()
            self.word("BY")
            order.append(self.order_item())
            while self.at_punct(","):
                self.advance()
                order.append(self.order_item())
        limit = self.integer_clause("LIMIT")
        offset = self.integer_clause("OFFSET")
        if self.token.kind != "eof":
            raise self.unexpected()
        return Query(tuple(fields), count, sobject.text, sobject.offset, where, tuple(order), limit, offset)

    def name(self) -> Token:
        if self.token.kind != "ident" or self.token.is_word(*_CLAUSE_WORDS):
            raise self.unexpected()
        return self.advance()

    def path(self) -> Path:
        first = self.name()
        parts = [first.text]
        while self.at_punct("."):
            self.advance()
            parts.append(self.name().text)
        return Path(tuple(parts), first.offset)

    def integer_clause(self, word: str) -> int | None:
        if not self.token.is_word(word):
            return None
        self.advance()
        if self.token.kind != "number" or not isinstance(self.token.value, int) or self.token.value < 0:
            raise self.unexpected()
        return int(self.advance().value)

    def order_item(self) -> OrderItem:
        path = self.path()
        descending = False
        if self.token.is_word("ASC", "DESC"):
            descending = self.advance().text.upper() == "DESC"
        nulls_last = False
        if self.token.is_word("NULLS"):
            self.advance()
            nulls_last = self.word("FIRST", "LAST").text.upper() == "LAST"
        return OrderItem(path, descending, nulls_last)

    def condition(self) -> Condition:
        first = self.unary()
        if not self.token.is_word("AND", "OR"):
            return first
        op = self.token.text.upper()
        items = [first]
        while self.token.is_word(op):
            self.advance()
            items.append(self.unary())
        if self.token.is_word("AND", "OR"):
            raise self.unexpected()
        return BoolOp(op, tuple(items))

    def unary(self) -> Condition:
        if self.token.is_word("NOT"):
            self.advance()
            return Not(self.unary())
        if self.at_punct("("):
            self.advance()
            inner = self.condition()
            self.punct(")")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        path = self.path()
        token = self.token
        if token.kind == "op":
            self.advance()
            return Comparison(path, token.text, self.value())
        if token.is_word("LIKE"):
            self.advance()
            if self.token.kind != "string":
                raise self.unexpected()
            literal = self.advance()
            return Comparison(path, "LIKE", Literal("string", literal.value, literal.offset))
        op = "IN"
        if token.is_word("NOT"):
            self.advance()
            op = "NOT IN"
        self.word("IN")
        self.punct("(")
        values = [self.value()]
        while self.at_punct(","):
            self.advance()
            values.append(self.value())
        self.punct(")")
        return Comparison(path, op, tuple(values))

    def value(self) -> Literal:
        token = self.token
        if token.kind in ("string", "number", "date", "datetime"):
            self.advance()
            value = token.value if token.kind in ("string", "number") else token.text
            return Literal(token.kind, value, token.offset)
        if token.is_word("TRUE", "FALSE"):
            self.advance()
            return Literal("boolean", token.text.upper() == "TRUE", token.offset)
        if token.is_word("NULL"):
            self.advance()
            return Literal("null", None, token.offset)
        if token.is_word(*RELATIVE_DATES):
            self.advance()
            return Literal("relative", (token.text.upper(), 0), token.offset)
        if token.is_word(*RELATIVE_DATES_N):
            self.advance()
            self.punct(":")
            if self.token.kind != "number" or not isinstance(self.token.value, int):
                raise self.unexpected()
            return Literal("relative", (token.text.upper(), int(self.advance().value)), token.offset)
        raise self.unexpected()
