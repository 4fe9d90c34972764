"""OCL text to AST: lark parses, a small transformer builds `service.core.ocl.nodes`.

Expressions come from untrusted metamodels, so length and nesting are bounded before the
(recursive) tree conversion and evaluation ever see them; every failure is an
`OclSyntaxError` with one sentence naming the place.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError

from instancegen.service.core.ocl import nodes as n
from instancegen.service.core.ocl.grammar import GRAMMAR

MAX_EXPRESSION_CHARS = 20_000
MAX_DEPTH = 100  # nested operators and calls; keeps evaluation far from Python's stack limit
ITERATORS = frozenset(
    {
        "forAll",
        "exists",
        "select",
        "reject",
        "collect",
        "collectNested",
        "isUnique",
        "any",
        "one",
        "sortedBy",
        "closure",
    }
)


class OclSyntaxError(Exception):
    """Text that is not OCL this parser reads; `message` is one sentence."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Clause:
    """One constraint of a Complete OCL document, with where it was written."""

    context: tuple[str, ...]  # the context's path name, e.g. ("hospital", "Patient")
    kind: str  # "inv", or what is skipped: "def", "pre", "post", "body", "init", "derive"
    name: str | None
    text: str  # the expression as written
    line: int
    operation: bool  # the context is an operation or a property, not a class
    variable: str | None = None  # `context p : Patient` names `self` p


@cache
def _lark() -> Lark:
    return Lark(
        GRAMMAR,
        start=["expr", "document"],
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=True,
    )


@lru_cache(maxsize=2048)
def parse_expression(text: str) -> n.Node:
    """The AST of one OCL expression (an invariant's body)."""
    if len(text) > MAX_EXPRESSION_CHARS:
        raise OclSyntaxError(
            f"the expression is {len(text):,} characters long, above the "
            f"{MAX_EXPRESSION_CHARS:,} this reader accepts."
        )
    return _to_ast(_parse(text, "expr"))


def parse_document(text: str) -> list[Clause]:
    """The clauses of a Complete OCL document, in order; their bodies are parsed too."""
    tree = _parse(text, "document")
    clauses: list[Clause] = []
    for block in tree.iter_subtrees_topdown():
        if block.data != "context_decl":
            continue
        parts = [c for c in block.children if isinstance(c, Tree)]
        path = _path(next(c for c in parts if c.data == "pathname"))
        operation = any(c.data == "signature" for c in parts)
        variable = next((str(c) for c in block.children if isinstance(c, Token)), None)
        for clause in (c for c in parts if c.data in ("inv", "other_clause")):
            clauses.append(_clause(text, path, clause, operation, variable))
    return clauses


def _clause(
    text: str, path: tuple[str, ...], clause: Tree, operation: bool, variable: str | None
) -> Clause:
    tokens = [c for c in clause.children if isinstance(c, Token)]
    body = clause.children[-1]
    assert isinstance(body, Tree)
    if clause.data == "inv":
        kind, name = "inv", tokens[0].value if tokens else None
    elif tokens and tokens[0].type == "CONTRACT":
        kind, name = tokens[0].value, tokens[1].value if len(tokens) > 1 else None
    else:
        kind, name = "def", tokens[-1].value if tokens else None
    expression = text[body.meta.start_pos : body.meta.end_pos]
    if kind == "inv":
        _to_ast(body)  # its depth and shape are checked now, where the line is known
    return Clause(path, kind, name, expression, clause.meta.line, operation, variable)


def _parse(text: str, start: str) -> Tree:
    try:
        tree = _lark().parse(text, start=start)
    except UnexpectedEOF:
        raise OclSyntaxError("the text ends in the middle of an expression.") from None
    except UnexpectedCharacters as exc:
        raise OclSyntaxError(
            f"line {exc.line}, column {exc.column}: unexpected character "
            f"{text[exc.pos_in_stream or 0 :][:1]!r}."
        ) from None
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        if token is None or token.type == "$END":
            raise OclSyntaxError("the text ends in the middle of an expression.") from None
        raise OclSyntaxError(
            f"line {exc.line}, column {exc.column}: unexpected {str(token)!r}."
        ) from None
    _check_depth(tree)
    return tree


def _check_depth(tree: Tree) -> None:
    """Refuse trees nested deeper than MAX_DEPTH, walking them without recursion."""
    stack: list[tuple[Any, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise OclSyntaxError(f"the expression is nested more than {MAX_DEPTH} levels deep.")
        if isinstance(node, Tree):
            stack.extend((c, depth + 1) for c in node.children)


def _to_ast(tree: Tree) -> n.Node:
    try:
        result = _Builder().transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, OclSyntaxError):
            raise exc.orig_exc from None
        raise
    assert not isinstance(result, Tree)
    return result


def _path(tree: Tree) -> tuple[str, ...]:
    return tuple(_name(t) for t in tree.children if isinstance(t, Token))


def _name(token: Token) -> str:
    """A NAME token's text; `_'odd name'` is OCL's quoting of names that are not identifiers."""
    value = str(token)
    return value[2:-1] if value.startswith("_'") else value


def _string(token: Token) -> str:
    body = str(token)[1:-1]
    escapes = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "'": "'", '"': '"'}
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(escapes.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


@v_args(inline=True)
class _Builder(Transformer[Token, Any]):
    """Lark tree to AST nodes; shapes the loose `args` rule into calls or iterations."""

    def int_lit(self, token: Token) -> n.Literal:
        return n.Literal(int(token))

    def real_lit(self, token: Token) -> n.Literal:
        return n.Literal(float(token))

    def string_lit(self, token: Token) -> n.Literal:
        return n.Literal(_string(token))

    def true_lit(self) -> n.Literal:
        return n.Literal(True)

    def false_lit(self) -> n.Literal:
        return n.Literal(False)

    def null_lit(self) -> n.Literal:
        return n.Literal(None)

    def invalid_lit(self) -> n.InvalidLiteral:
        return n.InvalidLiteral()

    def self_ref(self) -> n.SelfRef:
        return n.SelfRef()

    def pathname(self, *names: Token) -> tuple[str, ...]:
        return tuple(_name(t) for t in names)

    def name(self, path: tuple[str, ...]) -> n.Name:
        return n.Name(path)

    def type(self, *parts: Any) -> str:
        return "type"  # declared types are read, not enforced

    def coll_kind(self, token: Token) -> str:
        return str(token)

    def coll_item(self, first: n.Node, last: n.Node | None = None) -> n.Node | n.Range:
        return first if last is None else n.Range(first, last)

    def coll_literal(self, kind: str, *items: n.Node | n.Range | None) -> n.CollectionLiteral:
        return n.CollectionLiteral(kind, tuple(i for i in items if i is not None))

    def nav(self, source: n.Node, name: Token) -> n.Navigation:
        return n.Navigation(source, _name(name))

    def call(self, source: n.Node, name: Token, args: _Args) -> n.Call:
        if args.body is not None or args.accumulator is not None:
            raise OclSyntaxError(f"'.{name}(...)' takes plain arguments; iterators use '->'.")
        return n.Call(source, _name(name), args.plain(str(name)), arrow=False)

    def arrow(self, source: n.Node, name_token: Token, args: _Args) -> n.Node:
        name = _name(name_token)
        if name == "iterate":
            return args.iterate(source)
        if args.body is not None:
            if name not in ITERATORS:
                raise OclSyntaxError(f"'->{name}' is not an iterator, so it takes no '|' body.")
            if args.accumulator is not None:
                raise OclSyntaxError(f"'->{name}' takes no accumulator (';').")
            return n.Iteration(source, name, args.variables(name), args.body)
        if name in ITERATORS and len(args.items) == 1 and args.accumulator is None:
            return n.Iteration(source, name, (), args.plain(name)[0])
        return n.Call(source, name, args.plain(name), arrow=True)

    def args(self, *parts: Any) -> _Args:
        items = tuple(p for p in parts if isinstance(p, _Arg) and not p.after_semicolon)
        accumulator = next((p for p in parts if isinstance(p, _Arg) and p.after_semicolon), None)
        last = parts[-1] if parts else None
        body = None if last is None or isinstance(last, _Arg) else last
        return _Args(items, accumulator, body)

    def arg(self, value: n.Node, *declared: Any) -> _Arg:
        return _Arg(value, bool(declared), declared[1] if len(declared) > 1 else None)

    def acc_arg(self, value: n.Node, *declared: Any) -> _Arg:
        init = declared[1] if len(declared) > 1 else None
        return _Arg(value, bool(declared), init, after_semicolon=True)

    def not_op(self, operand: n.Node) -> n.Unary:
        return n.Unary("not", operand)

    def neg_op(self, operand: n.Node) -> n.Node:
        if isinstance(operand, n.Literal) and type(operand.value) in (int, float):
            return n.Literal(-operand.value)  # type: ignore[operator]
        return n.Unary("-", operand)

    def binary(self, left: n.Node, op: str, right: n.Node) -> n.Binary:
        return n.Binary(op, left, right)

    def eq_op(self, token: Token) -> str:
        return str(token)

    rel_op = add_op = mul_op = eq_op

    def and_op(self, left: n.Node, right: n.Node) -> n.Binary:
        return n.Binary("and", left, right)

    def or_op(self, left: n.Node, right: n.Node) -> n.Binary:
        return n.Binary("or", left, right)

    def xor_op(self, left: n.Node, right: n.Node) -> n.Binary:
        return n.Binary("xor", left, right)

    def implies_op(self, left: n.Node, right: n.Node) -> n.Binary:
        return n.Binary("implies", left, right)

    def if_expr(self, cond: n.Node, then: n.Node, otherwise: n.Node) -> n.If:
        return n.If(cond, then, otherwise)

    def let_var(self, name: Token, *rest: Any) -> n.Variable:
        return n.Variable(_name(name), rest[-1])

    def let_expr(self, *parts: Any) -> n.Let:
        return n.Let(tuple(parts[:-1]), parts[-1])


@dataclass(frozen=True, slots=True)
class _Arg:
    """One loosely parsed argument: an expression, maybe typed (`x : T`), maybe `= init`."""

    value: n.Node
    typed: bool
    init: n.Node | None
    after_semicolon: bool = False


@dataclass(frozen=True, slots=True)
class _Args:
    items: tuple[_Arg, ...]
    accumulator: _Arg | None
    body: n.Node | None

    def plain(self, op: str) -> tuple[n.Node, ...]:
        for item in self.items:
            if item.typed or item.init is not None:
                raise OclSyntaxError(f"'{op}' takes expressions, not declarations.")
        return tuple(i.value for i in self.items)

    def variables(self, op: str) -> tuple[n.Variable, ...]:
        result = []
        for item in self.items:
            if not (isinstance(item.value, n.Name) and len(item.value.path) == 1):
                raise OclSyntaxError(f"'->{op}' declares iterator names before '|'.")
            if item.init is not None:
                raise OclSyntaxError(f"'->{op}': an iterator takes no initial value.")
            result.append(n.Variable(item.value.path[0]))
        return tuple(result)

    def iterate(self, source: n.Node) -> n.Iteration:
        if self.body is None or self.accumulator is None or len(self.items) != 1:
            raise OclSyntaxError("'->iterate' is written ->iterate(x; acc : T = init | body).")
        variables = self.variables("iterate")
        acc = self.accumulator
        if acc.init is not None and isinstance(acc.value, n.Name):
            accumulator = n.Variable(acc.value.path[0], acc.init)
        elif (
            isinstance(acc.value, n.Binary)
            and acc.value.op == "="
            and isinstance(acc.value.left, n.Name)
            and len(acc.value.left.path) == 1
        ):
            accumulator = n.Variable(acc.value.left.path[0], acc.value.right)
        else:
            raise OclSyntaxError("'->iterate' needs an accumulator with an initial value.")
        return n.Iteration(source, "iterate", variables, self.body, accumulator)
