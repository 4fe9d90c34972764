"""Evaluate an OCL AST on one context object, with OCL's null and invalid semantics.

- Navigating from null, dividing by zero, `oclAsType` to a type the value lacks, `at` out of
  range, `any` without a match, a value of the wrong type: `invalid`, which propagates
  through every operation except `oclIsUndefined`, `oclIsInvalid` and the Boolean operators.
- Boolean operators: a deciding operand decides (`false and x`, `true or x`, `false implies
  x`, `x implies true`); otherwise a null or invalid operand makes the result invalid.
- `null->op()` sees an empty Set; a single value `v->op()` sees `Set{v}`; `coll.name` is
  `coll->collect(name)`.
- Something outside the supported subset (an unknown operation, feature or name) raises
  `Unsupported`: the constraint is reported as not evaluated, never guessed at.
- Every node costs a step from a `Budget`, and so does every element a collection operation
  touches or makes; running out raises `Exhausted`. Strings and integers are capped in size.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from instancegen.service.core.metamodel import Attribute, DataType
from instancegen.service.core.ocl import nodes as n
from instancegen.service.core.ocl.budget import Budget, Exhausted, Unsupported
from instancegen.service.core.ocl.operations import (
    ANY_OPS,
    COLLECTION_OPS,
    DOT_OPS,
    MAX_INTEGER_BITS,
    PRIMITIVE_TYPES,
    aggregate,
    as_collection,
    checked_number,
    checked_string,
    number_op,
    primitive_fits,
    sorted_by,
    string_op,
)
from instancegen.service.core.ocl.values import (
    ORDERED_KINDS,
    Collection,
    EnumValue,
    Invalid,
    Obj,
    TypeValue,
    Value,
    is_number,
    key,
    make,
    show,
    type_name,
)
from instancegen.service.core.ocl.world import World

_TOO_BIG = MAX_INTEGER_BITS + 1  # a product's bits exceed this only when it is too large


@dataclass(frozen=True, slots=True)
class _Scope:
    variables: dict[str, Value]
    implicit: tuple[Value, ...]  # innermost implicit iterator first, `self` last

    def bind(self, name: str, value: Value) -> _Scope:
        return _Scope({**self.variables, name: value}, self.implicit)


def text(node: n.Node | n.Range) -> str:
    """The node written back as OCL (shortened), for messages."""
    if isinstance(node, n.SelfRef):
        return "self"
    if isinstance(node, n.Name):
        return node.text
    if isinstance(node, n.Literal):
        return show(node.value)
    if isinstance(node, n.Navigation):
        return f"{text(node.source)}.{node.name}"
    if isinstance(node, n.Call):
        return f"{text(node.source)}{'->' if node.arrow else '.'}{node.name}(…)"
    if isinstance(node, n.Iteration):
        return f"{text(node.source)}->{node.name}(…)"
    return "(…)"


class Evaluator:
    """Evaluates expressions over one `World`; one instance per constraint and budget."""

    def __init__(self, world: World, budget: Budget) -> None:
        self.world = world
        self.budget = budget
        self.constants: dict[tuple[str, ...], EnumValue | TypeValue] = {}  # resolved names
        self.handlers: dict[type, Callable[[Any, _Scope], Value]] = {
            n.Literal: self._literal,
            n.InvalidLiteral: lambda node, scope: Invalid("the expression says invalid"),
            n.SelfRef: lambda node, scope: scope.variables["self"],
            n.Name: self._name,
            n.CollectionLiteral: self._collection_literal,
            n.Navigation: self._navigation,
            n.Call: self._call,
            n.Iteration: self._iteration,
            n.Unary: self._unary,
            n.Binary: self._binary,
            n.If: self._if,
            n.Let: self._let,
        }

    def evaluate(self, node: n.Node, context: Obj) -> Value:
        return self.ev(node, _Scope({"self": context}, (context,)))

    def ev(self, node: n.Node, scope: _Scope) -> Value:
        self.budget.tick()
        return self.handlers[type(node)](node, scope)

    def show(self, v: Value) -> str:
        return show(v, self.world.name_of)

    # --- names and literals -------------------------------------------------------------

    def _literal(self, node: n.Literal, scope: _Scope) -> Value:
        return node.value

    def _name(self, node: n.Name, scope: _Scope) -> Value:
        path = node.path
        if len(path) == 1:
            name = path[0]
            if name in scope.variables:
                return scope.variables[name]
            for source in scope.implicit:
                if isinstance(source, Obj):
                    view = self.world.views[source.index]
                    if view is not None and name in view.feature_map:
                        return self._feature(source, name)
        found = self.constants.get(path)
        if found is None:
            found = self.constants[path] = self._constant(node)
        return found

    def _constant(self, node: n.Name) -> EnumValue | TypeValue:
        """What a name that is no variable or feature stands for: `E::L`, or a type."""
        path = node.path
        enum = self._enum(path[:-1]) if len(path) > 1 else None
        if enum is not None:
            if path[-1] not in enum.literals:
                raise Unsupported(f"uses '{node.text}', but {enum.name} has no literal {path[-1]}")
            return EnumValue(enum.name, path[-1])
        found = self._find_type(path)
        if found is None:
            raise Unsupported(f"uses the unknown name '{node.text}'")
        return found

    def _find_type(self, path: tuple[str, ...]) -> TypeValue | None:
        name = path[-1]
        mm = self.world.mm
        qualified = ".".join(path)
        if qualified in mm.classes:
            return TypeValue(qualified, "class")
        matches = [c.key for c in mm.classes.values() if c.name == name]
        if len(path) > 1:
            prefix = ".".join(path[:-1])
            matches = [k for k in matches if mm.classes[k].package.path.endswith(prefix)]
        if len(matches) == 1:
            return TypeValue(matches[0], "class")
        if len(path) == 1 and name in PRIMITIVE_TYPES:
            return TypeValue(name, "primitive")
        enum = self._enum(path)
        return TypeValue(enum.name, "enum") if enum is not None else None

    def _enum(self, path: tuple[str, ...]) -> DataType | None:
        for dt in self.world.mm.datatypes.values():
            if dt.kind == "enum" and dt.name == path[-1]:
                return dt
        for c in self.world.mm.classes.values():
            for a in c.attributes:
                if a.type.kind == "enum" and a.type.name == path[-1]:
                    return a.type
        return None

    def _collection_literal(self, node: n.CollectionLiteral, scope: _Scope) -> Value:
        items: list[Value] = []
        for item in node.items:
            if isinstance(item, n.Range):
                first, last = self.ev(item.first, scope), self.ev(item.last, scope)
                for bound in (first, last):
                    if isinstance(bound, Invalid):
                        return bound
                    if type(bound) is not int:
                        return Invalid(f"a range needs Integer bounds, not {type_name(bound)}")
                assert isinstance(first, int) and isinstance(last, int)
                self.budget.tick(max(0, last - first + 1))
                items.extend(range(first, last + 1))
            else:
                value = self.ev(item, scope)
                if isinstance(value, Invalid):
                    return value
                items.append(value)
        self.budget.tick(len(items))
        return make(node.kind, items)

    # --- navigation ---------------------------------------------------------------------

    def _navigation(self, node: n.Navigation, scope: _Scope) -> Value:
        source = self.ev(node.source, scope)
        if isinstance(source, Collection):
            return self._collect_each(source, lambda item: self._navigate(item, node))
        return self._navigate(source, node)

    def _navigate(self, source: Value, node: n.Navigation) -> Value:
        if isinstance(source, Invalid):
            return source
        if source is None:
            return Invalid(f"{text(node.source)} is null, so .{node.name} cannot be read")
        if not isinstance(source, Obj):
            if node.name not in self.world.feature_names:
                raise Unsupported(f"uses the unknown feature '{node.name}'")
            return Invalid(f"{text(node.source)} is a {type_name(source)}, which has no "
                           f"feature {node.name}")  # fmt: skip
        return self._feature(source, node.name)

    def _feature(self, obj: Obj, name: str) -> Value:
        view = self.world.views[obj.index]
        if view is None:
            return Invalid(f"{self.world.name_of(obj.index)} has an unknown class")
        feature = view.feature_map.get(name)
        if feature is None:
            if name not in self.world.feature_names:
                raise Unsupported(f"uses the unknown feature '{name}'")
            return Invalid(f"{self.world.name_of(obj.index)} ({view.key}) has no feature {name}")
        if isinstance(feature, Attribute):
            return self.world.attribute(obj.index, feature)
        return self.world.reference(obj.index, feature)

    def _collect_each(self, source: Collection, each: Callable[[Value], Value]) -> Value:
        out: list[Value] = []
        for item in source.items:
            self.budget.tick()
            value = each(item)
            if isinstance(value, Invalid):
                return value
            if isinstance(value, Collection):
                self.budget.tick(len(value.items))
                out.extend(value.items)
            else:
                out.append(value)
        return make("Sequence" if source.kind in ORDERED_KINDS else "Bag", out)

    # --- operations ---------------------------------------------------------------------

    def _call(self, node: n.Call, scope: _Scope) -> Value:
        if not node.arrow and node.name in ("oclIsUndefined", "oclIsInvalid"):
            self._arity(node, 0)
            value = self.ev(node.source, scope)
            if node.name == "oclIsInvalid":
                return isinstance(value, Invalid)
            return value is None or isinstance(value, Invalid)
        source = self.ev(node.source, scope)
        args = [self.ev(a, scope) for a in node.args]
        if isinstance(source, Invalid):
            return source
        bad = next((a for a in args if isinstance(a, Invalid)), None)
        if node.arrow:
            collection = as_collection(source)
            if node.name not in COLLECTION_OPS:
                raise Unsupported(f"uses the collection operation '->{node.name}'")
            if bad is not None:
                return bad
            self._arity(node, COLLECTION_OPS[node.name])
            self.budget.tick(len(collection.items))
            return self._collection_op(node, collection, args)
        if node.name not in DOT_OPS:
            raise Unsupported(f"uses the operation '.{node.name}()'")
        self._arity(node, DOT_OPS[node.name])
        if bad is not None:
            return bad
        if isinstance(source, Collection) and node.name not in ANY_OPS:
            return self._collect_each(source, lambda item: self._dot_op(node, item, args))
        return self._dot_op(node, source, args)

    @staticmethod
    def _arity(node: n.Call, expected: int | tuple[int, ...]) -> None:
        allowed = expected if isinstance(expected, tuple) else (expected,)
        if len(node.args) not in allowed:
            sep = "->" if node.arrow else "."
            raise Unsupported(f"uses '{sep}{node.name}' with {len(node.args)} argument(s)")

    def _dot_op(self, node: n.Call, source: Value, args: list[Value]) -> Value:
        name = node.name
        if isinstance(source, Invalid):
            return source
        if name in ("oclIsKindOf", "oclIsTypeOf", "oclAsType"):
            return self._type_test(node, source, args[0])
        if name == "allInstances":
            if not (isinstance(source, TypeValue) and source.kind == "class"):
                return Invalid(f"allInstances() applies to a class, not {text(node.source)}")
            found = self.world.instances(source.name)
            self.budget.tick(len(found))
            return Collection("Set", found)
        if name == "toString":
            return source if type(source) is str else self.show(source)
        if source is None:
            return Invalid(f"{text(node.source)} is null, so .{name}() cannot be called")
        if name == "oclContainer":
            if not isinstance(source, Obj):
                return Invalid(f"oclContainer() applies to objects, not {type_name(source)}")
            parent = self.world.containers.get(source.index)
            return Obj(parent) if parent is not None else None
        if type(source) is str:
            return string_op(node, source, args, self.budget)
        if is_number(source):
            return number_op(node, source, args)  # type: ignore[arg-type]
        return Invalid(f".{name}() does not apply to {type_name(source)} {text(node.source)}")

    def _type_test(self, node: n.Call, source: Value, target: Value) -> Value:
        if not isinstance(target, TypeValue):
            raise Unsupported(f"uses '.{node.name}' with an argument that is not a type")
        if source is None:
            return None if node.name == "oclAsType" else False
        if target.kind == "class":
            if not isinstance(source, Obj):
                fits = exact = False
            else:
                view = self.world.views[source.index]
                exact = view is not None and view.key == target.name
                fits = exact or (view is not None and target.name in view.all_supertypes)
        elif target.kind == "enum":
            fits = exact = isinstance(source, EnumValue) and source.enum == target.name
        else:
            fits, exact = primitive_fits(source, target.name)
        if node.name == "oclIsKindOf":
            return fits
        if node.name == "oclIsTypeOf":
            return exact
        if fits:
            return float(source) if target.name == "Real" and type(source) is int else source
        return Invalid(f"{self.show(source)} is not a {target.name}, so oclAsType fails")

    def _collection_op(self, node: n.Call, c: Collection, args: list[Value]) -> Value:
        name, items = node.name, c.items
        if name == "size":
            return len(items)
        if name == "isEmpty":
            return not items
        if name == "notEmpty":
            return bool(items)
        if name in ("includes", "excludes", "count", "indexOf"):
            k = key(args[0])
            keys = [key(i) for i in items]
            if name == "count":
                return keys.count(k)
            if name == "indexOf":
                return keys.index(k) + 1 if k in keys else Invalid("indexOf: not in the collection")
            return (k in keys) == (name == "includes")
        if name in ("includesAll", "excludesAll"):
            others = as_collection(args[0]).items
            self.budget.tick(len(others))
            present = {key(i) for i in items}
            if name == "includesAll":
                return all(key(o) in present for o in others)
            return not any(key(o) in present for o in others)
        if name in ("sum", "max", "min"):
            return aggregate(name, items)
        if name in ("asSet", "asOrderedSet", "asBag", "asSequence"):
            return make(name[2:], items)
        if name in ("first", "last", "at"):
            index = 1 if name == "first" else len(items) if name == "last" else args[0]
            if type(index) is not int or not 1 <= index <= len(items):
                return Invalid(f"->{name}(): no element at {self.show(index)}")
            return items[index - 1]
        if name in ("including", "append"):
            return make(c.kind, (*items, args[0]))
        if name == "prepend":
            return make(c.kind, (args[0], *items))
        if name == "excluding":
            k = key(args[0])
            return make(c.kind, [i for i in items if key(i) != k])
        if name in ("union", "intersection"):
            other = as_collection(args[0])
            self.budget.tick(len(other.items))
            kind = "Set" if c.kind == "Set" and other.kind == "Set" else c.kind
            if name == "union":
                return make(kind, (*items, *other.items))
            kept = {key(i) for i in other.items}
            return make(kind, [i for i in items if key(i) in kept])
        if name == "reverse":
            return make(c.kind, items[::-1])
        if name == "flatten":
            flat: list[Value] = []
            for i in items:
                flat.extend(i.items if isinstance(i, Collection) else (i,))
            self.budget.tick(len(flat))
            return make(c.kind, flat)
        assert name in ("selectByKind", "selectByType")
        target = args[0]
        if not isinstance(target, TypeValue):
            raise Unsupported(f"uses '->{name}' with an argument that is not a type")
        test = n.Call(n.SelfRef(), "oclIsKindOf" if name == "selectByKind" else "oclIsTypeOf",
                      (), arrow=False)  # fmt: skip
        return make(c.kind, [i for i in items if self._type_test(test, i, target) is True])

    # --- iterators ----------------------------------------------------------------------

    def _iteration(self, node: n.Iteration, scope: _Scope) -> Value:
        source = self.ev(node.source, scope)
        if isinstance(source, Invalid):
            return source
        c = as_collection(source)
        names = [v.name for v in node.variables]
        if len(names) > 1 and node.name not in ("forAll", "exists"):
            raise Unsupported(f"uses '->{node.name}' with {len(names)} iterators")

        def body(*item: Value, inner: _Scope = scope) -> Value:
            self.budget.tick()
            if not names:
                return self.ev(node.body, _Scope(inner.variables, (item[0], *inner.implicit)))
            bound = inner
            for name, value in zip(names, item, strict=True):
                bound = bound.bind(name, value)
            return self.ev(node.body, bound)

        if node.name == "iterate":
            assert node.accumulator is not None and node.accumulator.init is not None
            acc_name = node.accumulator.name
            acc = self.ev(node.accumulator.init, scope)
            for item in c.items:
                acc = body(item, inner=scope.bind(acc_name, acc))
            return acc
        if node.name in ("forAll", "exists"):
            return self._quantify(node, c, body, max(1, len(names)))
        return self._loop(node, c, body)

    def _quantify(
        self, node: n.Iteration, c: Collection, body: Callable[..., Value], arity: int
    ) -> Value:
        decisive = node.name == "exists"  # forAll stops at the first false, exists at a true
        problem: Invalid | None = None
        for combo in itertools.product(c.items, repeat=arity):
            value = body(*combo)
            if value is decisive:
                return decisive
            if value is not (not decisive) and problem is None:
                problem = self._not_boolean(node, value, combo)
        return problem if problem is not None else not decisive

    def _not_boolean(self, node: n.Iteration, value: Value, item: tuple[Value, ...]) -> Invalid:
        if isinstance(value, Invalid):
            return value
        where = ", ".join(self.show(i) for i in item)
        return Invalid(f"the body of ->{node.name} is {self.show(value)} for {where}, "
                       "not true or false")  # fmt: skip

    def _loop(self, node: n.Iteration, c: Collection, body: Callable[..., Value]) -> Value:
        name, items = node.name, c.items
        if name in ("select", "reject", "any", "one"):
            chosen: list[Value] = []
            for item in items:
                value = body(item)
                if type(value) is not bool:
                    return self._not_boolean(node, value, (item,))
                if value == (name != "reject"):
                    chosen.append(item)
                    if name == "any":
                        return item
            if name == "any":
                return Invalid("->any(): no element satisfies the condition")
            if name == "one":
                return len(chosen) == 1
            return make(c.kind, chosen)
        values = [body(item) for item in items]
        bad = next((v for v in values if isinstance(v, Invalid)), None)
        if bad is not None:
            return bad
        if name == "isUnique":
            keys = [key(v) for v in values]
            return len(set(keys)) == len(keys)
        if name in ("collect", "collectNested"):
            kind = "Sequence" if c.kind in ORDERED_KINDS else "Bag"
            if name == "collectNested":
                return make(kind, values)
            return self._collect_each(Collection(c.kind, tuple(values)), lambda v: v)
        if name == "sortedBy":
            return sorted_by(c, values)
        assert name == "closure"
        return self._closure(c, body)

    def _closure(self, c: Collection, body: Callable[..., Value]) -> Value:
        result = list(c.items)
        seen = {key(i) for i in result}
        frontier = list(result)
        while frontier:
            item = frontier.pop(0)
            value = body(item)
            if isinstance(value, Invalid):
                return value
            for new in as_collection(value).items:
                k = key(new)
                if k not in seen:
                    seen.add(k)
                    result.append(new)
                    frontier.append(new)
        return make("OrderedSet" if c.kind in ORDERED_KINDS else "Set", result)

    # --- operators ----------------------------------------------------------------------

    def _unary(self, node: n.Unary, scope: _Scope) -> Value:
        value = self.ev(node.operand, scope)
        if isinstance(value, Invalid):
            return value
        if node.op == "not":
            if type(value) is bool:
                return not value
            return Invalid(f"'not' needs a Boolean, but {text(node.operand)} is "
                           f"{self.show(value)}")  # fmt: skip
        if is_number(value):
            return -value  # type: ignore[operator]
        return Invalid(f"'-' needs a number, but {text(node.operand)} is {self.show(value)}")

    def _binary(self, node: n.Binary, scope: _Scope) -> Value:
        op = node.op
        if op in ("and", "or", "implies", "xor"):
            return self._logic(node, scope)
        left = self.ev(node.left, scope)
        if isinstance(left, Invalid):
            return left
        right = self.ev(node.right, scope)
        if isinstance(right, Invalid):
            return right
        if op == "=":
            return key(left) == key(right)
        if op == "<>":
            return key(left) != key(right)
        for side, value in ((node.left, left), (node.right, right)):
            if value is None:
                return Invalid(f"{text(side)} is null, so '{op}' cannot be computed")
        if op in ("<", "<=", ">", ">="):
            return self._compare(node, left, right)
        return self._arithmetic(node, left, right)

    def _logic(self, node: n.Binary, scope: _Scope) -> Value:
        op = node.op
        left = self.ev(node.left, scope)
        if op == "and" and left is False:
            return False
        if op == "or" and left is True:
            return True
        if op == "implies" and left is False:
            return True
        right = self.ev(node.right, scope)
        if op == "and" and right is False:
            return False
        if op in ("or", "implies") and right is True:
            return True
        for side, value in ((node.left, left), (node.right, right)):
            if isinstance(value, Invalid):
                return value
            if type(value) is not bool:
                return Invalid(f"'{op}' needs Booleans, but {text(side)} is {self.show(value)}")
        if op == "and":
            return bool(left and right)
        if op == "or":
            return bool(left or right)
        if op == "xor":
            return left != right
        return (not left) or bool(right)

    def _compare(self, node: n.Binary, left: Value, right: Value) -> Value:
        if not ((is_number(left) and is_number(right))
                or (type(left) is str and type(right) is str)):  # fmt: skip
            return Invalid(f"'{node.op}' cannot compare {self.show(left)} with {self.show(right)}")
        a: Any = left
        b: Any = right
        if node.op == "<":
            return bool(a < b)
        if node.op == "<=":
            return bool(a <= b)
        if node.op == ">":
            return bool(a > b)
        return bool(a >= b)

    def _arithmetic(self, node: n.Binary, left: Value, right: Value) -> Value:
        op = node.op
        if op == "+" and type(left) is str and type(right) is str:
            return checked_string(left + right)
        if not (is_number(left) and is_number(right)):
            return Invalid(f"'{op}' needs numbers, not {self.show(left)} and {self.show(right)}")
        a: Any = left
        b: Any = right
        if op == "+":
            return checked_number(a + b)
        if op == "-":
            return checked_number(a - b)
        if op == "*":
            if type(a) is int and type(b) is int and a.bit_length() + b.bit_length() > _TOO_BIG:
                raise Exhausted(f"it made an integer larger than 2^{MAX_INTEGER_BITS}")
            return checked_number(a * b)
        if b == 0:
            return Invalid(f"{text(node.right)} is zero, so '{op}' is undefined")
        if op == "/":
            return a / b
        if type(a) is not int or type(b) is not int:
            return Invalid(f"'{op}' needs Integers, not {self.show(left)} and {self.show(right)}")
        quotient = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
        return quotient if op == "div" else a - quotient * b

    # --- control ------------------------------------------------------------------------

    def _if(self, node: n.If, scope: _Scope) -> Value:
        condition = self.ev(node.condition, scope)
        if condition is True:
            return self.ev(node.then, scope)
        if condition is False:
            return self.ev(node.otherwise, scope)
        if isinstance(condition, Invalid):
            return condition
        return Invalid(f"the condition {text(node.condition)} is {self.show(condition)}, "
                       "not true or false")  # fmt: skip

    def _let(self, node: n.Let, scope: _Scope) -> Value:
        for variable in node.variables:
            assert variable.init is not None
            scope = scope.bind(variable.name, self.ev(variable.init, scope))
        return self.ev(node.body, scope)
