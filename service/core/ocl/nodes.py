"""The OCL abstract syntax tree: small immutable nodes the evaluator walks.

`text` on a call node keeps its operation name so a "not evaluated" warning can say what an
expression uses; nothing here knows about metamodels or CIMs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Literal:
    """Integer, Real, String, Boolean or null (`value is None`)."""

    value: int | float | str | bool | None


@dataclass(frozen=True, slots=True)
class InvalidLiteral:
    """The literal `invalid`."""


@dataclass(frozen=True, slots=True)
class SelfRef:
    """`self`: the context object."""


@dataclass(frozen=True, slots=True)
class Name:
    """A variable, an implicit `self`/iterator feature, a type, or an enum literal `E::L`."""

    path: tuple[str, ...]

    @property
    def text(self) -> str:
        return "::".join(self.path)


@dataclass(frozen=True, slots=True)
class Range:
    """`a..b` inside a collection literal."""

    first: Node
    last: Node


@dataclass(frozen=True, slots=True)
class CollectionLiteral:
    kind: str  # Set, OrderedSet, Bag, Sequence
    items: tuple[Node | Range, ...]


@dataclass(frozen=True, slots=True)
class Navigation:
    """`source.name`: a feature of an object (implicitly collected over a collection)."""

    source: Node
    name: str


@dataclass(frozen=True, slots=True)
class Call:
    """`source.name(args)` (`arrow` False) or `source->name(args)` (`arrow` True)."""

    source: Node
    name: str
    args: tuple[Node, ...]
    arrow: bool


@dataclass(frozen=True, slots=True)
class Variable:
    """An iterator or accumulator: `x`, `x : T`, `acc : T = init`."""

    name: str
    init: Node | None = None


@dataclass(frozen=True, slots=True)
class Iteration:
    """`source->name(v1, v2 | body)`, or `->iterate(v; acc = init | body)`.

    `variables` is empty for the implicit-iterator form `->select(age > 18)`.
    """

    source: Node
    name: str
    variables: tuple[Variable, ...]
    body: Node
    accumulator: Variable | None = None


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "not" | "-"
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # and or xor implies = <> < <= > >= + - * / div mod
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class If:
    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class Let:
    variables: tuple[Variable, ...]
    body: Node


Node = (
    Literal
    | InvalidLiteral
    | SelfRef
    | Name
    | CollectionLiteral
    | Navigation
    | Call
    | Iteration
    | Unary
    | Binary
    | If
    | Let
)
