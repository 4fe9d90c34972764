"""Hypothesis strategies: random Ecore metamodels and random *valid* CIMs for any metamodel.

Reuse them for property tests of everything that consumes a CIM (compilers, importers,
round trips)::

    from hypothesis import given, settings, strategies as st
    from strategies import metamodels, valid_cims

    @settings(max_examples=50, deadline=None)
    @given(st.data())
    def test_round_trip(data):
        mm = data.draw(metamodels())          # a service.core.metamodel.Metamodel
        cim = data.draw(valid_cims(mm))       # a service.core.cim.Cim that validates without errors
        ...

- `ecore_texts()` draws `.ecore` XML text: one package with classes (concrete, abstract,
  interfaces), multiple inheritance, enums, every Ecore primitive type, many-valued and
  required features, iD attributes, containment (some with a container end), eOpposite pairs,
  a hidden (transient) attribute, and references typed `ecore::EObject`. `metamodels()` loads
  that text through the real loader; the text is kept in `mm.sources["generated.ecore"]`
  for tools (EMF) that need the file.
- `valid_cims(mm)` works for any `Metamodel`, bundled ones too. It builds objects of classes
  that can have a finite instance, satisfies required features, gives containment a tree
  shape, writes eOpposite pairs at one or both ends (consistently), keeps iD values unique
  and shuffles the object order. The result can have several roots (a `several-roots`
  warning) but never an error. Metamodels whose constraints it cannot meet by construction
  (e.g. mutually required opposite ends) make it reject the example.
- `values(datatype)` draws one JSON value the validator accepts for a `DataType`.
- `candidate_cims(mm)` draws `valid_cims` and then spoils some of them the way producers do:
  odd values (`odd_values`: dates in forms ISO 8601 allows and EMF does not, iD-ish strings
  with `/ # ? ..` and spaces, text XML cannot hold, numbers beyond a type's range), repeats
  in unique many-valued attributes, required attributes with defaults left out. Some still
  validate, some do not: tests keep what the validator passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.strategies import DrawFn

from instancegen.service.core.cim import Cim, CimObject
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.metamodel import (
    INT_RANGES,
    Attribute,
    DataType,
    EClassView,
    Metamodel,
    Reference,
)
from instancegen.service.core.values import default_of

ECORE = "http://www.eclipse.org/emf/2002/Ecore#//"
ECORE_TYPES = (
    "EString",
    "EBoolean",
    "EInt",
    "ELong",
    "EShort",
    "EByte",
    "EFloat",
    "EDouble",
    "EChar",
    "EDate",
    "EBigInteger",
    "EBigDecimal",
    "EIntegerObject",
    "EJavaObject",
)
EOBJECT = f"ecore:EClass {ECORE}EObject"

# ---------------------------------------------------------------------------------------------
# metamodels


@dataclass
class _ClassSpec:
    name: str
    kind: str  # "class" | "abstract" | "interface"
    supers: list[str]
    features: list[str] = field(default_factory=list)  # <eStructuralFeatures …/> lines


def _bound(lower: int, upper: int) -> str:
    return f' lowerBound="{lower}" upperBound="{upper}"'


@st.composite
def ecore_texts(draw: DrawFn, max_classes: int = 6) -> str:
    """One `.ecore` file (package `gen`) exercising what instance models can contain."""
    n = draw(st.integers(1, max_classes))
    kinds = draw(
        st.lists(
            st.sampled_from(["class", "class", "abstract", "interface"]), min_size=n, max_size=n
        )
    )
    if "class" not in kinds:
        kinds[-1] = "class"
    specs: list[_ClassSpec] = []
    for i, kind in enumerate(kinds):
        earlier = [s.name for s in specs if kind != "interface" or s.kind == "interface"]
        supers = (
            draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True)) if earlier else []
        )
        specs.append(_ClassSpec(f"C{i}", kind, supers))
    enums = [
        [f"V{e}_{k}" for k in range(draw(st.integers(1, 3)))]
        for e in range(draw(st.integers(0, 2)))
    ]
    types = [f"ecore:EDataType {ECORE}{t}" for t in ECORE_TYPES] + [
        f"#//Enum{e}" for e in range(len(enums))
    ]
    counter = iter(range(10_000))
    for spec in specs:
        for _ in range(draw(st.integers(0, 3))):
            spec.features.append(_attribute(draw, f"a{next(counter)}", types))
        if draw(st.integers(0, 9)) == 0:
            spec.features.append(
                f'<eStructuralFeatures xsi:type="ecore:EAttribute" name="a{next(counter)}" '
                f'transient="true" eType="ecore:EDataType {ECORE}EString"/>'
            )
        for _ in range(draw(st.integers(0, 3))):
            _reference(draw, spec, draw(st.sampled_from(specs)), counter)
    return _package_xml(specs, enums)


def _attribute(draw: DrawFn, name: str, types: list[str]) -> str:
    """An attribute of a random type; one in four is a single-valued EString iD."""
    lower = draw(st.sampled_from([0, 0, 1]))
    if draw(st.integers(0, 3)) == 0:
        etype, upper, flag = types[0], 1, ' iD="true"'
    else:
        etype, upper, flag = draw(st.sampled_from(types)), draw(st.sampled_from([1, 1, 2, -1])), ""
    return (
        f'<eStructuralFeatures xsi:type="ecore:EAttribute" name="{name}"{_bound(lower, upper)}'
        f'{flag} eType="{etype}"/>'
    )


def _reference(
    draw: DrawFn,
    owner: _ClassSpec,
    target: _ClassSpec,
    counter: Any,
    owner_ref: str = "",
    target_ref: str = "",
) -> None:
    """A reference owner -> target; sometimes with an eOpposite (or container end) in target,
    sometimes typed `ecore::EObject` instead (any object). `owner_ref`/`target_ref` name the
    classes in a package tree (`#//sub/C1`); `#//C1` by default."""
    owner_ref, target_ref = owner_ref or f"#//{owner.name}", target_ref or f"#//{target.name}"
    name, other = f"r{next(counter)}", f"r{next(counter)}"
    containment = draw(st.booleans())
    upper = draw(st.sampled_from([1, 2, -1]))
    if draw(st.integers(0, 5)) == 0:  # typed ecore::EObject: any object
        extra = ' containment="true"' if containment else ""
        owner.features.append(
            f'<eStructuralFeatures xsi:type="ecore:EReference" name="{name}"{_bound(0, upper)} '
            f'eType="{EOBJECT}"{extra}/>'
        )
        return
    opposite = draw(st.integers(0, 2)) == 0
    lower = 0 if opposite else draw(st.sampled_from([0, 0, 0, 1]))
    extra = ' containment="true"' if containment else ""
    if opposite:
        extra += f' eOpposite="{target_ref}/{other}"'
        back_upper = 1 if containment else draw(st.sampled_from([1, 2, -1]))
        target.features.append(
            f'<eStructuralFeatures xsi:type="ecore:EReference" name="{other}"'
            f'{_bound(0, back_upper)} eType="{owner_ref}" '
            f'eOpposite="{owner_ref}/{name}"/>'
        )
    owner.features.append(
        f'<eStructuralFeatures xsi:type="ecore:EReference" name="{name}"{_bound(lower, upper)} '
        f'eType="{target_ref}"{extra}/>'
    )


def _package_xml(specs: list[_ClassSpec], enums: list[list[str]]) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore" name="gen"'
        ' nsURI="http://example.org/gen" nsPrefix="gen">',
    ]
    for s in specs:
        flags = {
            "class": "",
            "abstract": ' abstract="true"',
            "interface": ' abstract="true" interface="true"',
        }
        supers = f' eSuperTypes="{" ".join("#//" + x for x in s.supers)}"' if s.supers else ""
        lines.append(
            f'<eClassifiers xsi:type="ecore:EClass" name="{s.name}"{flags[s.kind]}{supers}>'
        )
        lines.extend(s.features)
        lines.append("</eClassifiers>")
    for e, literals in enumerate(enums):
        lines.append(f'<eClassifiers xsi:type="ecore:EEnum" name="Enum{e}">')
        lines.extend(f'<eLiterals name="{lit}" value="{k}"/>' for k, lit in enumerate(literals))
        lines.append("</eClassifiers>")
    lines.append("</ecore:EPackage>")
    return "\n".join(lines) + "\n"


def metamodels(max_classes: int = 6) -> st.SearchStrategy[Metamodel]:
    """Random metamodels, loaded by the real loader from `ecore_texts()`."""
    return ecore_texts(max_classes).map(lambda text: load_metamodel({"generated.ecore": text}))


# Custom data types: with an instance class EMF converts by, and without one (primitive-like
# names are read as the Ecore type; EMF drops their values, so attributes of them are optional).
DATA_TYPES_WITH_CLASS = (
    ("Text", "java.lang.String"),
    ("Count", "int"),
    ("Amount", "java.lang.Double"),
    ("Flag", "boolean"),
    ("Big", "java.math.BigDecimal"),
)
DATA_TYPES_WITHOUT_CLASS = ("String", "Integer", "Boolean", "Real", "Code")


@dataclass
class _Package:
    path: list[str]  # names from the root package down
    classes: list[_ClassSpec] = field(default_factory=list)
    types: list[str] = field(default_factory=list)  # <eClassifiers …> of enums and data types
    subpackages: list[_Package] = field(default_factory=list)

    @property
    def uri_path(self) -> str:
        """What `#//` is followed by to name a classifier of this package."""
        return "".join(f"{p}/" for p in self.path[1:])


@st.composite
def package_texts(draw: DrawFn, tag: str = "gen", max_classes: int = 8) -> str:
    """One `.ecore` file whose root package (`tag`, nsURI `http://example.org/<tag>`) holds
    subpackages (some nested, their classes sometimes sharing a name across packages),
    classes with multiple inheritance across packages (concrete, abstract, interfaces), enums,
    custom data types with and without an instance class, every Ecore primitive type, iD
    attributes, containment and cross references with multiplicities and eOpposites, and
    references typed `ecore::EObject`."""
    root = _Package([tag])
    packages = [root]
    for i in range(draw(st.integers(0, 2))):
        sub = _Package([tag, f"sub{i}"])
        root.subpackages.append(sub)
        packages.append(sub)
        if draw(st.booleans()):
            inner = _Package([*sub.path, "inner"])
            sub.subpackages.append(inner)
            packages.append(inner)
    types = [f"ecore:EDataType {ECORE}{t}" for t in ECORE_TYPES]
    optional_types: list[str] = []
    for e in range(draw(st.integers(0, 2))):
        home = draw(st.sampled_from(packages))
        literals = "".join(
            f'<eLiterals name="L{e}_{k}" value="{k}"/>' for k in range(draw(st.integers(1, 3)))
        )
        home.types.append(
            f'<eClassifiers xsi:type="ecore:EEnum" name="Enum{e}">{literals}</eClassifiers>'
        )
        types.append(f"#//{home.uri_path}Enum{e}")
    for name, java in draw(
        st.lists(st.sampled_from(DATA_TYPES_WITH_CLASS), unique=True, max_size=2)
    ):
        home = draw(st.sampled_from(packages))
        home.types.append(
            f'<eClassifiers xsi:type="ecore:EDataType" name="{name}" instanceClassName="{java}"/>'
        )
        types.append(f"#//{home.uri_path}{name}")
    for name in draw(st.lists(st.sampled_from(DATA_TYPES_WITHOUT_CLASS), unique=True, max_size=2)):
        home = draw(st.sampled_from(packages))
        home.types.append(f'<eClassifiers xsi:type="ecore:EDataType" name="{name}"/>')
        optional_types.append(f"#//{home.uri_path}{name}")
    n = draw(st.integers(1, max_classes))
    specs: list[tuple[_Package, _ClassSpec]] = []
    for i in range(n):
        kind = draw(st.sampled_from(["class", "class", "abstract", "interface"]))
        if i == n - 1 and all(s.kind != "class" for _, s in specs):
            kind = "class"
        home = draw(st.sampled_from(packages))
        taken = {s.name for s in home.classes}
        clash = [s.name for p, s in specs if p is not home and s.name not in taken]
        name = clash[0] if clash and draw(st.integers(0, 3)) == 0 else f"C{i}"
        earlier = [(p, s) for p, s in specs if kind != "interface" or s.kind == "interface"]
        supers = (
            draw(st.lists(st.sampled_from(earlier), max_size=2, unique_by=id)) if earlier else []
        )
        spec = _ClassSpec(name, kind, [f"#//{p.uri_path}{s.name}" for p, s in supers])
        home.classes.append(spec)
        specs.append((home, spec))
    counter = iter(range(10_000))
    for _, spec in specs:
        for _ in range(draw(st.integers(0, 3))):
            spec.features.append(_attribute(draw, f"a{next(counter)}", types))
        for _ in range(draw(st.integers(0, 1))) if optional_types else ():
            spec.features.append(
                f'<eStructuralFeatures xsi:type="ecore:EAttribute" name="a{next(counter)}" '
                f'eType="{draw(st.sampled_from(optional_types))}"/>'
            )
    for home, owner in specs:
        for _ in range(draw(st.integers(0, 3))):
            there, target = draw(st.sampled_from(specs))
            owner_ref, target_ref = (
                f"#//{home.uri_path}{owner.name}",
                f"#//{there.uri_path}{target.name}",
            )
            _reference(draw, owner, target, counter, owner_ref, target_ref)
    return _tree_xml(root)


def _tree_xml(root: _Package) -> str:
    tag = root.path[0]
    header = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore"'
        f' name="{tag}" nsURI="http://example.org/{tag}" nsPrefix="{tag}">\n'
    )
    return header + _package_body(root) + "</ecore:EPackage>\n"


def _package_body(pkg: _Package) -> str:
    flags = {
        "class": "",
        "abstract": ' abstract="true"',
        "interface": ' abstract="true" interface="true"',
    }
    lines = []
    for s in pkg.classes:
        supers = f' eSuperTypes="{" ".join(s.supers)}"' if s.supers else ""
        lines.append(
            f'<eClassifiers xsi:type="ecore:EClass" name="{s.name}"{flags[s.kind]}{supers}>'
        )
        lines.extend(s.features)
        lines.append("</eClassifiers>")
    lines.extend(pkg.types)
    for sub in pkg.subpackages:
        name, prefix = sub.path[-1], "_".join(sub.path)
        lines.append(
            f'<eSubpackages name="{name}" nsURI="http://example.org/{"/".join(sub.path)}" '
            f'nsPrefix="{prefix}">'
        )
        lines.append(_package_body(sub).rstrip("\n"))
        lines.append("</eSubpackages>")
    return "".join(line + "\n" for line in lines)


# ---------------------------------------------------------------------------------------------
# values

_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn")), max_size=10
)
_DATES = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.isoformat(timespec="milliseconds"))


def values(dt: DataType) -> st.SearchStrategy[Any]:
    """One JSON value the validator accepts for an attribute of type `dt`."""
    kind = dt.kind
    if kind == "bool":
        return st.booleans()
    if kind == "int":
        lo, hi = INT_RANGES[dt.int_size or "long"]
        return st.integers(lo, hi)
    if kind == "float":
        width: Literal[32, 64] = 32 if dt.name in ("EFloat", "EFloatObject") else 64
        return st.floats(allow_nan=False, allow_infinity=False, width=width)
    if kind == "bigint":
        return st.integers(-(10**30), 10**30).flatmap(lambda v: st.sampled_from([v, str(v)]))
    if kind == "decimal":
        return st.one_of(
            st.integers(-(10**6), 10**6),
            st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
        )
    if kind == "char":
        return st.characters(
            min_codepoint=0x20, max_codepoint=0xFFFF, exclude_categories=("Cs", "Cc", "Cn")
        )
    if kind == "date":
        return _DATES
    if kind == "enum":
        return st.sampled_from(dt.literals)
    return _TEXT


# ---------------------------------------------------------------------------------------------
# valid CIMs


def instantiable(mm: Metamodel) -> dict[str, int]:
    """Concrete classes that have a finite valid instance, each with its containment depth.

    A required containment needs a fresh child of smaller depth; a required non-containment
    reference needs some instantiable target (the object itself counts).
    """
    alive = {c.key for c in mm.concrete_classes}
    while True:
        depth: dict[str, int] = {}
        level = 0
        while True:
            new = {
                c
                for c in alive - depth.keys()
                if all(_satisfiable(mm, c, r, depth, alive) for r in mm.classes[c].references)
            }
            if not new:
                break
            depth.update(dict.fromkeys(new, level))
            level += 1
        if depth.keys() == alive:
            return depth
        alive = set(depth)


def _satisfiable(
    mm: Metamodel, key: str, ref: Reference, depth: dict[str, int], alive: set[str]
) -> bool:
    if ref.lower == 0:
        return True
    subs = mm.concrete_subtypes(ref.target)
    if ref.containment:
        return any(s in depth for s in subs)
    return any(s in alive for s in subs)


@dataclass
class _Obj:
    id: str
    view: EClassView
    attributes: dict[str, Any] = field(default_factory=dict)
    references: dict[str, list[str]] = field(default_factory=dict)
    contained: bool = False


class _Builder:
    """Grows one valid CIM draw by draw; see `valid_cims`."""

    def __init__(self, draw: DrawFn, mm: Metamodel, max_objects: int) -> None:
        self.draw = draw
        self.mm = mm
        self.max_objects = max_objects
        self.depth = instantiable(mm)
        self.objects: list[_Obj] = []
        self.id_values: set[str] = set()

    def new(self, key: str) -> _Obj:
        if len(self.objects) >= self.max_objects:
            reject()  # the metamodel's required features need a bigger model
        view = self.mm.classes[key]
        o = _Obj(f"{view.name.lower()}{len(self.objects)}", view)
        self.objects.append(o)
        for ref in view.references:  # required children, each of a shallower class
            if ref.containment and ref.lower > 0:
                options = [
                    s
                    for s in self.mm.concrete_subtypes(ref.target)
                    if self.depth.get(s, 1 << 30) < self.depth[key]
                ]
                for _ in range(ref.lower):
                    child = self.new(self.draw(st.sampled_from(options)))
                    child.contained = True
                    o.references.setdefault(ref.name, []).append(child.id)
        return o

    def of_type(self, target: str) -> list[_Obj]:
        subs = set(self.mm.concrete_subtypes(target))
        return [o for o in self.objects if o.view.key in subs]

    def ensure_targets(self) -> None:
        """Enough objects for every required non-containment reference (fixpoint)."""
        changed = True
        while changed:
            changed = False
            for o in list(self.objects):
                for ref in o.view.references:
                    if ref.containment or ref.lower == 0:
                        continue
                    missing = ref.lower - len(self.of_type(ref.target))
                    options = [s for s in self.mm.concrete_subtypes(ref.target) if s in self.depth]
                    for _ in range(max(missing, 0)):
                        self.new(self.draw(st.sampled_from(options)))
                        changed = True

    def place(self) -> None:
        """Put some roots into earlier objects' containment references (so no cycles)."""
        for n, o in enumerate(self.objects):
            if o.contained or not self.draw(st.booleans()):
                continue
            slots = [
                (c, ref)
                for c in self.objects[:n]
                for ref in c.view.references
                if ref.containment
                and self.mm.is_subtype(o.view.key, ref.target)
                and (ref.upper == -1 or len(c.references.get(ref.name, ())) < ref.upper)
            ]
            if slots:
                c, ref = self.draw(st.sampled_from(slots))
                c.references.setdefault(ref.name, []).append(o.id)
                o.contained = True

    def link_plain(self) -> None:
        """Non-containment references without a (visible) opposite."""
        for o in self.objects:
            for ref in o.view.references:
                if ref.containment or self._opposite(ref) is not None:
                    continue
                candidates = [t.id for t in self.of_type(ref.target)]
                most = len(candidates) if ref.upper == -1 else min(ref.upper, len(candidates))
                chosen = self.draw(
                    st.lists(
                        st.sampled_from(candidates), min_size=ref.lower, max_size=most, unique=True
                    )
                    if candidates
                    else st.just([])
                )
                show_empty: bool = self.draw(st.booleans())
                if chosen or show_empty:
                    o.references[ref.name] = chosen

    def _opposite(self, ref: Reference) -> Reference | None:
        if ref.containment or ref.opposite is None:
            return None
        back = self.mm.classes[ref.target].feature_map.get(ref.opposite)
        return back if isinstance(back, Reference) else None

    def link_pairs(self) -> None:
        """eOpposite pairs: links within both bounds, written at one or both ends."""
        done: set[tuple[str, str, str, str]] = set()
        for view in {o.view.key: o.view for o in self.objects}.values():
            for x in view.references:
                y = self._opposite(x)
                if y is None:
                    continue
                pair = (y.target, x.name, x.target, y.name)
                if (y.target, x.name) == (x.target, y.name):  # its own opposite: left empty
                    if x.lower > 0:
                        reject()
                    continue
                if pair in done:
                    continue
                done.update({pair, (x.target, y.name, y.target, x.name)})
                self._link_pair(x, y)

    def _link_pair(self, x: Reference, y: Reference) -> None:
        side_a = [o for o in self.objects if o.view.feature_map.get(x.name) == x]
        side_b = [o for o in self.objects if o.view.feature_map.get(y.name) == y]
        links: dict[str, list[str]] = {o.id: [] for o in side_a}
        back: dict[str, list[str]] = {o.id: [] for o in side_b}

        def room(ref: Reference, have: list[str]) -> bool:
            return ref.upper == -1 or len(have) < ref.upper

        def connect(a: _Obj, b: _Obj) -> None:
            links[a.id].append(b.id)
            back[b.id].append(a.id)

        for a in side_a:
            extra = self.draw(st.integers(0, 2))
            while len(links[a.id]) < x.lower + extra and room(x, links[a.id]):
                free = [b for b in side_b if room(y, back[b.id]) and b.id not in links[a.id]]
                if not free:
                    break
                connect(a, self.draw(st.sampled_from(free)))
        for b in side_b:
            while len(back[b.id]) < y.lower:
                free = [a for a in side_a if room(x, links[a.id]) and a.id not in back[b.id]]
                if not free:
                    reject()
                connect(self.draw(st.sampled_from(free)), b)
        if any(len(links[a.id]) < x.lower for a in side_a):
            reject()
        given_a = {a.id: self.draw(st.booleans()) for a in side_a}
        given_b = {b.id: self.draw(st.booleans()) for b in side_b}
        for a_id, targets in links.items():
            if any(not given_b[b_id] for b_id in targets):
                given_a[a_id] = True  # a link must show at one end at least
        for objs, given, ref, table in ((side_a, given_a, x, links), (side_b, given_b, y, back)):
            for o in objs:
                if given[o.id]:
                    o.references[ref.name] = table[o.id]

    def fill_attributes(self) -> None:
        for o in self.objects:
            for a in o.view.attributes:
                if a.lower == 0 and not self.draw(st.booleans()):
                    continue
                o.attributes[a.name] = self._attribute_value(o, a)

    def _attribute_value(self, o: _Obj, a: Attribute) -> Any:
        if a.many:
            most = a.lower + 3 if a.upper == -1 else a.upper
            return self.draw(
                st.lists(values(a.type), min_size=a.lower, max_size=most, unique_by=str)
            )
        if not a.is_id:
            return self.draw(values(a.type))
        if a.type.kind == "string":
            value: Any = f"{o.id}-{a.name}"
        else:
            value = self.draw(values(a.type))
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if text in self.id_values:
            reject()
        self.id_values.add(text)
        return value

    def cim(self) -> Cim:
        order = self.draw(st.permutations(range(len(self.objects))))
        return Cim(
            objects=[
                CimObject.model_validate(
                    {
                        "id": o.id,
                        "class": o.view.key,
                        "attributes": o.attributes,
                        "references": o.references,
                    }
                )
                for o in (self.objects[n] for n in order)
            ]
        )


@st.composite
def valid_cims(draw: DrawFn, mm: Metamodel, max_objects: int = 24) -> Cim:
    """A random CIM for `mm` that the validator accepts (no errors; warnings possible)."""
    builder = _Builder(draw, mm, max_objects)
    keys = sorted(builder.depth, key=list(mm.classes).index)
    if not keys:
        return Cim(objects=[])
    for _ in range(draw(st.integers(1, max(1, max_objects // 2)))):
        builder.new(draw(st.sampled_from(keys)))
    builder.ensure_targets()
    builder.place()
    builder.link_plain()
    builder.link_pairs()
    builder.fill_attributes()
    return builder.cim()


# ---------------------------------------------------------------------------------------------
# candidate CIMs: what a producer might write

ODD_DATES = (
    "1975-12-10 00:00:00",
    "19751210",
    "1975-12-10T00",
    "1975-W50-3",
    "1975-12-10",
    "1975-12-10T08:15",
    "1975-12-10t08:15:30z",
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00-01:00",
    "0999-06-30",
    "1582-10-10",
    "9999-12-31T23:59:59.9999999-12:00",
    "9999-12-31T23:59:59.999Z",
    "2024-02-29T12:00:00.123456789+0530",
    "2024-02-30",
    "2024-05-17T24:00",
    " 2024-05-17 ",
)
ODD_TEXTS = (
    "#ada",
    "/ada",
    "ada@x#y",
    "a b",
    "x?",
    "a?b?",
    "..",
    "../x",
    "",
    " ",
    "tab\there",
    "line\nbreak",
    "nul\x00",
    "lone\ud800",
    "&<>\"'",
    "ünï©ødé 𝄞",
)
ODD_NUMBERS = (
    0,
    -0.0,
    1e39,
    -3.4e38,
    3.4028234663852886e38,
    1e308,
    10**400,
    2**63,
    -(2**63) - 1,
    0.1,
)


def odd_values(dt: DataType) -> st.SearchStrategy[Any]:
    """A value a producer might write for `dt`, valid or not (see the module docstring)."""
    kind = dt.kind
    odd: st.SearchStrategy[Any] = st.sampled_from(ODD_TEXTS)
    if kind == "date":
        odd = st.sampled_from(ODD_DATES)
    elif kind in ("int", "float", "bigint", "decimal"):
        odd = st.sampled_from(ODD_NUMBERS) | st.sampled_from(
            ["+5", " 5", "1e999999999", "0" * 5000]
        )
    elif kind == "char":
        odd = st.sampled_from(["", "ab", "\x00", "\ud800", "𝄞", "#"])
    return st.one_of(odd, values(dt))


@st.composite
def candidate_cims(draw: DrawFn, mm: Metamodel, max_objects: int = 12) -> Cim:
    """`valid_cims(mm)` with some values made odd, unique lists given a repeat and required
    attributes with a default left out (see the module docstring)."""
    data = draw(valid_cims(mm, max_objects)).to_json()
    for o in data["objects"]:
        view = mm.classes[o["class"]]
        for a in view.attributes:
            if a.name not in o["attributes"] or draw(st.integers(0, 3)) != 0:
                continue
            value = o["attributes"][a.name]
            if a.many and value and draw(st.booleans()):
                value.insert(draw(st.integers(0, len(value))), draw(st.sampled_from(value)))
            elif a.many:
                value.append(draw(odd_values(a.type)))
            elif a.lower and default_of(a) is not None and not a.unsettable and draw(st.booleans()):
                del o["attributes"][a.name]
            else:
                o["attributes"][a.name] = draw(odd_values(a.type))
    return Cim.model_validate(data)
