"""Syntax of the skip-logic expression language: syntax tree, tokenizer, parser and printer.

XLSForm-like syntax, parsed by a hand-written tokenizer and recursive-descent parser; nothing is
ever passed to ``eval``. Grammar (``docs/questionnaire.md``)::

    expr    := and_expr ("or" and_expr)*
    and_expr:= compare ("and" compare)*
    compare := operand (("=" | "!=" | "<" | "<=" | ">" | ">=") operand)?
    operand := NUMBER | "-" NUMBER | STRING | "${" CODE "}" | "." | "(" expr ")"
             | FUNCTION "(" [expr ("," expr)*] ")"

Functions: ``not(x)``, ``selected(${multi}, 'value')``, ``count-selected(${multi})``,
``string-length(x)``. What an expression means is ``survey.questionnaire.expressions``' business.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from survey.errors import SurveyError

__all__ = [
    "COMPARISONS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "And",
    "Call",
    "Compare",
    "Current",
    "Expr",
    "ExpressionSyntaxError",
    "Literal",
    "Or",
    "Ref",
    "parse",
    "to_text",
]

MAX_LENGTH = 2000
MAX_DEPTH = 50
COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
FUNCTIONS = {"not": 1, "selected": 2, "count-selected": 1, "string-length": 1}


class ExpressionSyntaxError(SurveyError):
    """An expression that does not parse; ``position`` is the 0-based offset in ``text``."""

    def __init__(self, message: str, text: str = "", position: int = 0) -> None:
        self.message = message
        self.text = text
        self.position = position
        super().__init__(f"{message} at position {position} in {text!r}" if text else message)


# -- syntax tree ------------------------------------------------------------------------------


class Expr:
    """Base class of expression nodes (immutable dataclasses, compared by value)."""

    def references(self) -> set[str]:
        """Codes of the answers this expression reads."""
        found: set[str] = set()
        _walk_refs(self, found)
        return found

    def uses_current(self) -> bool:
        """Whether the expression uses ``.`` (the value being constrained)."""
        return _uses_current(self)

    def __str__(self) -> str:
        return to_text(self)


@dataclass(frozen=True)
class Literal(Expr):
    value: int | float | str


@dataclass(frozen=True)
class Ref(Expr):
    code: str


@dataclass(frozen=True)
class Current(Expr):
    pass


@dataclass(frozen=True)
class Compare(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class And(Expr):
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Or(Expr):
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Call(Expr):
    name: str
    args: tuple[Expr, ...]


def _children(expr: Expr) -> tuple[Expr, ...]:
    if isinstance(expr, Compare | And | Or):
        return (expr.left, expr.right)
    if isinstance(expr, Call):
        return expr.args
    return ()


def _walk_refs(expr: Expr, found: set[str]) -> None:
    if isinstance(expr, Ref):
        found.add(expr.code)
    for child in _children(expr):
        _walk_refs(child, found)


def _uses_current(expr: Expr) -> bool:
    return isinstance(expr, Current) or any(_uses_current(c) for c in _children(expr))


# -- tokenizer --------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<ref>\$\{(?P<code>[A-Za-z_][A-Za-z0-9_.\-]*)\})
  | (?P<number>(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+\-]?\d+)?)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_\-]*)
  | (?P<op>!=|<=|>=|=|<|>)
  | (?P<punct>[(),.\-])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str  # ref, number, string, name, op, punct, end
    text: str
    pos: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            char = text[pos]
            hint = ""
            if text.startswith("${", pos):
                hint = " (a reference is ${code} with an ASCII code)"
            elif char in "'\"":
                hint = " (unterminated string)"
            raise ExpressionSyntaxError(f"unexpected character {char!r}{hint}", text, pos)
        kind = match.lastgroup or ""
        if kind == "code":  # the inner group of a reference
            kind = "ref"
        if kind != "ws":
            value = match.group("code") if kind == "ref" else match.group(0)
            tokens.append(_Token(kind, value, pos))
        pos = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


# -- parser -----------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def error(self, message: str, token: _Token | None = None) -> ExpressionSyntaxError:
        tok = token or self.token
        return ExpressionSyntaxError(message, self.text, tok.pos)

    def describe(self, token: _Token) -> str:
        return "end of expression" if token.kind == "end" else repr(token.text)

    def advance(self) -> _Token:
        token = self.token
        self.index += 1
        return token

    def expect(self, kind: str, text: str) -> _Token:
        if self.token.kind != kind or self.token.text != text:
            raise self.error(f"expected {text!r} but found {self.describe(self.token)}")
        return self.advance()

    def is_keyword(self, word: str) -> bool:
        return self.token.kind == "name" and self.token.text == word

    def parse(self) -> Expr:
        if self.token.kind == "end":
            raise self.error("empty expression")
        expr = self.parse_or()
        if self.token.kind != "end":
            raise self.error(f"unexpected {self.describe(self.token)}")
        return expr

    def parse_or(self) -> Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("expression nested too deeply")
        expr = self.parse_and()
        while self.is_keyword("or"):
            self.advance()
            expr = Or(expr, self.parse_and())
        self.depth -= 1
        return expr

    def parse_and(self) -> Expr:
        expr = self.parse_compare()
        while self.is_keyword("and"):
            self.advance()
            expr = And(expr, self.parse_compare())
        return expr

    def parse_compare(self) -> Expr:
        left = self.parse_operand()
        if self.token.kind == "op":
            op = self.advance().text
            right = self.parse_operand()
            if self.token.kind == "op":
                raise self.error("comparisons cannot be chained; use 'and'")
            return Compare(op, left, right)
        return left

    def parse_operand(self) -> Expr:
        token = self.token
        if token.kind == "number":
            self.advance()
            return Literal(_number(token.text))
        if token.kind == "punct" and token.text == "-":
            self.advance()
            if self.token.kind != "number":
                raise self.error("expected a number after '-'")
            number = _number(self.advance().text)
            return Literal(-number)
        if token.kind == "string":
            self.advance()
            return Literal(token.text[1:-1])
        if token.kind == "ref":
            self.advance()
            return Ref(token.text)
        if token.kind == "punct" and token.text == ".":
            self.advance()
            return Current()
        if token.kind == "punct" and token.text == "(":
            self.advance()
            expr = self.parse_or()
            self.expect("punct", ")")
            return expr
        if token.kind == "name":
            return self.parse_call()
        raise self.error(f"expected a value but found {self.describe(token)}")

    def parse_call(self) -> Expr:
        token = self.advance()
        name = token.text
        if name not in FUNCTIONS:
            if name in ("and", "or"):
                raise self.error(f"expected a value before {name!r}", token)
            raise self.error(
                f"unknown name {name!r}; refer to an answer as ${{{name}}}, "
                f"functions are {', '.join(sorted(FUNCTIONS))}",
                token,
            )
        if not (self.token.kind == "punct" and self.token.text == "("):
            raise self.error(f"expected '(' after {name}")
        self.advance()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("expression nested too deeply")
        args: list[Expr] = []
        if not (self.token.kind == "punct" and self.token.text == ")"):
            args.append(self.parse_or())
            while self.token.kind == "punct" and self.token.text == ",":
                self.advance()
                args.append(self.parse_or())
        self.expect("punct", ")")
        self.depth -= 1
        if len(args) != FUNCTIONS[name]:
            raise self.error(
                f"{name}() takes {FUNCTIONS[name]} argument(s), got {len(args)}", token
            )
        if name in ("selected", "count-selected") and not isinstance(args[0], Ref | Current):
            raise self.error(f"the first argument of {name}() must be ${{code}} or '.'", token)
        return Call(name, tuple(args))


def _number(text: str) -> int | float:
    if re.fullmatch(r"\d+", text):
        return int(text)
    value = float(text)
    if not math.isfinite(value):
        raise ExpressionSyntaxError(f"number out of range: {text}")
    return value


def parse(text: str) -> Expr:
    """Parse ``text``; raises :class:`ExpressionSyntaxError` with the offending position."""
    if not isinstance(text, str):
        raise ExpressionSyntaxError("an expression must be a string")
    if len(text) > MAX_LENGTH:
        raise ExpressionSyntaxError(f"expression longer than {MAX_LENGTH} characters")
    return _Parser(text).parse()


# -- printer ----------------------------------------------------------------------------------


def to_text(expr: Expr) -> str:
    """Canonical text of ``expr``; ``parse(to_text(e)) == e``."""
    if isinstance(expr, Literal):
        value = expr.value
        if isinstance(value, str):
            if "'" not in value:
                return f"'{value}'"
            if '"' not in value:
                return f'"{value}"'
            raise ValueError("a string with both quote characters cannot be written")
        return repr(value)
    if isinstance(expr, Ref):
        return "${" + expr.code + "}"
    if isinstance(expr, Current):
        return "."
    if isinstance(expr, Compare):
        return f"{_operand_text(expr.left)} {expr.op} {_operand_text(expr.right)}"
    if isinstance(expr, And | Or):
        word = "and" if isinstance(expr, And) else "or"
        return f"{_wrapped(expr.left)} {word} {_wrapped(expr.right)}"
    if isinstance(expr, Call):
        return f"{expr.name}({', '.join(to_text(a) for a in expr.args)})"
    raise TypeError(f"not an expression: {expr!r}")


def _operand_text(expr: Expr) -> str:
    return f"({to_text(expr)})" if isinstance(expr, Compare | And | Or) else to_text(expr)


def _wrapped(expr: Expr) -> str:
    return f"({to_text(expr)})" if isinstance(expr, And | Or) else to_text(expr)
