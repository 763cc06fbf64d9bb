"""A formula → the nodes of a computation graph, parsed by recursive descent (never ``eval``).

Grammar (as in Python: ``**`` binds tighter than unary minus and is right-associative, so
``-x**2`` is ``-(x**2)`` and ``2**3**2`` is ``2**(3**2)``; ``^`` means ``**``)::

    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := ("-" | "+") unary | power
    power   := primary (("**" | "^") unary)?
    primary := NUMBER | NAME | NAME "(" expr ("," expr)* ")" | "(" expr ")"

The parser is recursive descent written as generators run by one loop (:func:`_run`): each rule
``yield``s the rule it calls and gets its value back, so nesting costs heap, not Python's stack,
and ``((((x))))`` 10,000 deep parses like any other formula, in linear time.

NAME is an input, or before ``(`` an op (``exp``, ``log`` or ``ln``, ``sin``, …, ``max``). The same
subexpression written twice is one node (``x*z`` three times is one node used three times); a chain
``a + b + c`` is one n-ary ``add``; parts with no input in them are folded into a number. Nodes are
named n1, n2, … in the order they are made, skipping names taken by the inputs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Generator

import numpy as np

from ..util.errors import SpecError
from .graph_ops import ALIASES, OPS, arity_ok

_TOKEN = re.compile(r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<op>\*\*|[-+*/^(),−·×]))")
_SAME = {"−": "-", "·": "*", "×": "*", "^": "**"}
MAX_ARGS = 100  # terms of one sum, arguments of one call: each argument's local derivative reads them all
MAX_NODES = 10_000  # nodes one expression may make (as the schema's nodes list)
TEXT = 60  # the most characters of the formula a node keeps to name itself in error messages

Rule = Generator[Any, Any, Any]  # a grammar rule: yields the rules it calls, returns its value


def _run(rule: Rule) -> Any:
    """Run a rule and every rule it calls with an explicit stack instead of Python's."""
    stack = [rule]
    value: Any = None
    while stack:
        try:
            called = stack[-1].send(value)
        except StopIteration as done:
            stack.pop()
            value = done.value
        else:
            stack.append(called)
            value = None
    return value


@dataclass(frozen=True)
class Token:
    kind: str  # num | name | op | end
    text: str
    col: int  # 1-based column of the token's first character
    end: int  # 1-based column just after its last character


@dataclass(frozen=True)
class ParsedNode:
    name: str
    op: str
    args: tuple  # input/node names (str) and numbers (float)
    text: str  # the part of the formula it was made from


def tokenize(src: str) -> list[Token]:
    tokens, pos = [], 0
    while True:
        while pos < len(src) and src[pos].isspace():
            pos += 1
        if pos == len(src):
            tokens.append(Token("end", "", pos + 1, pos + 1))
            return tokens
        m = _TOKEN.match(src, pos)
        if not m:
            raise SpecError(f"unexpected character {src[pos]!r}", place=f"expression, column {pos + 1}")
        kind = m.lastgroup
        assert kind is not None  # every alternative of _TOKEN is a named group
        text = m.group(kind)
        tokens.append(Token(kind, _SAME.get(text, text) if kind == "op" else text, m.start(kind) + 1, m.end() + 1))
        pos = m.end()


class _Parser:
    def __init__(self, src: str, inputs: list[str], reserved: tuple[str, ...] = (),
                 constants: dict[str, float] | None = None) -> None:
        self.src, self.inputs = src, list(inputs)
        self.constants = constants or {}
        self.tokens = tokenize(src)
        self.i = 0
        self.nodes: list[ParsedNode] = []
        self.memo: dict[tuple, str] = {}
        self.taken = set(inputs) | set(reserved)
        self.counter = 0

    # -- tokens -----------------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def error(self, message: str, tok: Token | None = None) -> SpecError:
        tok = tok or self.tok
        return SpecError(message, place=f"expression, column {tok.col}")

    def expect(self, text: str, opened: Token) -> None:
        if self.tok.kind == "op" and self.tok.text == text:
            self.take()
            return
        found = "the end" if self.tok.kind == "end" else repr(self.tok.text)
        raise self.error(f"expected {text!r} (to close the {opened.text!r} at column {opened.col}), found {found}")

    def at(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    # -- nodes ------------------------------------------------------------------------------------
    def fresh_name(self) -> str:
        while True:
            self.counter += 1
            name = f"n{self.counter}"
            if name not in self.taken:
                self.taken.add(name)
                return name

    def make(self, op: str, args: list, start: int, end: int):
        """The node for ``op(args)``: an existing one if it was written before, a number if constant."""
        text = self.snippet(start, end)
        if all(isinstance(a, float) for a in args):
            values = [np.float64(a) for a in args]
            why = OPS[op].domain(values)
            with np.errstate(all="ignore"):
                value = float(OPS[op].f(*values)) if why is None else float("nan")
            if why or not np.isfinite(value):
                raise SpecError(f"{text}: {why or 'not a finite number'}", place=f"expression, column {start}")
            return value
        key = (op, tuple(args))
        if key not in self.memo:
            if len(self.nodes) >= MAX_NODES:
                raise SpecError(f"more than {MAX_NODES:,} nodes: too big a graph", place=f"expression, column {start}")
            node = ParsedNode(self.fresh_name(), op, tuple(args), text)
            self.nodes.append(node)
            self.memo[key] = node.name
        return self.memo[key]

    def snippet(self, start: int, end: int) -> str:
        """The formula from column ``start`` to before ``end``, its middle elided past TEXT characters
        (a node's text costs constant space however long its part of the formula)."""
        if end - start <= TEXT:
            return self.src[start - 1:end - 1].strip()
        half = TEXT // 2 - 1
        return f"{self.src[start - 1:start - 1 + half].strip()} … {self.src[end - 1 - half:end - 1].strip()}"

    def too_many(self, what: str, tok: Token) -> SpecError:
        return self.error(f"more than {MAX_ARGS:,} {what}: split it into parts", tok)

    # -- grammar ----------------------------------------------------------------------------------
    def expr(self) -> Rule:
        start = self.tok.col
        value = yield self.term()
        chain = [value]
        while self.at("+", "-"):
            end = self.tok_start_prev()
            sign_tok = self.take()
            sign = sign_tok.text
            rhs = yield self.term()
            if sign == "+":
                chain.append(rhs)
                if len(chain) > MAX_ARGS:
                    raise self.too_many("terms in one sum", sign_tok)
                continue
            left = self.make("add", chain, start, end) if len(chain) > 1 else chain[0]
            chain = [self.make("sub", [left, rhs], start, self.tok_start_prev())]
        if len(chain) > 1:
            return self.make("add", chain, start, self.tok_start_prev())
        return chain[0]

    def tok_start_prev(self) -> int:
        """The column just after the last token taken."""
        return self.tokens[self.i - 1].end

    def term(self) -> Rule:
        start = self.tok.col
        value = yield self.unary()
        while self.at("*", "/"):
            op = {"*": "mul", "/": "div"}[self.take().text]
            rhs = yield self.unary()
            value = self.make(op, [value, rhs], start, self.tok_start_prev())
        return value

    def unary(self) -> Rule:
        if self.at("-", "+"):
            sign = self.take()
            operand = yield self.unary()
            if sign.text == "+":
                return operand
            return self.make("neg", [operand], sign.col, self.tok_start_prev())
        return (yield self.power())

    def power(self) -> Rule:
        start = self.tok.col
        base = yield self.primary()
        if self.at("**"):
            self.take()
            exponent = yield self.unary()
            return self.make("pow", [base, exponent], start, self.tok_start_prev())
        return base

    def primary(self) -> Rule:
        tok = self.take()
        if tok.kind == "num":
            return float(tok.text)
        if tok.kind == "name":
            if self.at("("):
                return (yield self.call(tok))
            if tok.text in self.constants:
                return self.constants[tok.text]
            if tok.text in self.inputs:
                return tok.text
            if tok.text in OPS or tok.text in ALIASES:
                raise self.error(f"{tok.text} is an op: call it, as in {tok.text}(x)", tok)
            known = f"inputs: {', '.join(self.inputs)}" if self.inputs else f"constants: {', '.join(self.constants)}"
            raise self.error(f"unknown name {tok.text!r} ({known})", tok)
        if tok.kind == "op" and tok.text == "(":
            value = yield self.expr()
            self.expect(")", tok)
            return value
        found = "the end of the expression" if tok.kind == "end" else repr(tok.text)
        raise self.error(f"expected a number, an input name or '(', found {found}", tok)

    def call(self, name: Token) -> Rule:
        op = ALIASES.get(name.text, name.text)
        if op not in OPS:
            if name.text in self.inputs:
                raise self.error(f"{name.text} is an input, not an op: it cannot be called", name)
            raise self.error(f"unknown op {name.text!r} (ops: {', '.join(OPS)}, ln)", name)
        opened = self.take()
        args = [(yield self.expr())]
        while self.at(","):
            comma = self.take()
            if len(args) >= MAX_ARGS:
                raise self.too_many("arguments in one call", comma)
            args.append((yield self.expr()))
        self.expect(")", opened)
        if not arity_ok(OPS[op], len(args)):
            raise self.error(f"{name.text} takes {OPS[op].arity_text()}, got {len(args)}", name)
        return self.make(op, args, name.col, self.tok_start_prev())

    def parse(self):
        if self.tok.kind == "end":
            raise self.error("the expression is empty")
        value = _run(self.expr())
        if self.tok.kind != "end":
            raise self.error(f"unexpected {self.tok.text!r} after a complete expression")
        return value


CONSTANTS = {"e": float(np.e), "pi": float(np.pi)}


def evaluate_constant(src: str) -> float:
    """The value of a formula of numbers and the constants e and π (``pi``): ``ln(2)``, ``e^6``,
    ``sqrt(2)/2``, ``-1/4``; a SpecError (naming the column) for anything else, or a value outside an
    op's domain. The same parser as the graph files (never ``eval``)."""
    parser = _Parser(src.replace("π", "pi"), [], constants=CONSTANTS)
    value = parser.parse()
    if not isinstance(value, float) or not np.isfinite(value):  # pragma: no cover - no inputs: always folded
        raise SpecError("not a number", place="expression")
    return value


def parse_expression(src: str, inputs: list[str], output: str | None = None) -> tuple[list[ParsedNode], str]:
    """The nodes of ``src`` in the order they are computed, and the name of the output node.

    ``output`` (if given) names the last node instead of a generated name.
    """
    parser = _Parser(src, inputs, reserved=(output,) if output else ())
    root = parser.parse()
    if not isinstance(root, str) or root in inputs:
        what = f"the input {root}" if isinstance(root, str) else "a number"
        raise SpecError(f"the expression is just {what}: there is nothing to compute", place="expression")
    nodes = parser.nodes
    if output:
        last = nodes[-1]
        assert last.name == root
        nodes[-1] = ParsedNode(output, last.op, last.args, last.text)
        root = output
    return nodes, root
