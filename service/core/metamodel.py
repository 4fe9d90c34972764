"""The metamodel as every downstream module sees it: plain, immutable, pyecore-free.

Built once by `service.core.ecore_loader`; the schema, prompt, validator and compilers read only
this view, so none of them depends on pyecore's object model or its lazy proxies.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from instancegen.service.core.errors import InputError

if TYPE_CHECKING:
    from instancegen.service.core.extended_metadata import XmlMetadata

ECORE_NS = "http://www.eclipse.org/emf/2002/Ecore"

TypeKind = Literal[
    "string", "bool", "int", "float", "bigint", "decimal", "char", "date", "enum", "object", "other"
]  # "object": a Java Object (EJavaObject), written serialized; "other": text EMF converts

INT_RANGES: dict[str, tuple[int, int]] = {
    "byte": (-(2**7), 2**7 - 1),
    "short": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}


@dataclass(frozen=True, slots=True)
class DataType:
    """An attribute's type reduced to what producers and compilers need to know."""

    name: str
    kind: TypeKind
    int_size: str | None = None  # "byte" | "short" | "int" | "long" for kind == "int"
    literals: tuple[str, ...] = ()  # enum literal names, in declaration order
    literal_values: tuple[str, ...] = ()  # EMF's serialized form of each literal
    package: str | None = None  # nsURI of the package declaring it (custom types, enums)
    primitive: bool = False  # Java primitive: EMF treats its intrinsic default as unset
    stands_for: str | None = None  # the Ecore type a primitive-like type is read as (KM3 idiom)
    # The XML Schema type whose lexical rules it follows (XMLType's, or one an XSD-derived
    # type names as its ExtendedMetaData baseType), and the facets that type adds.
    xsd: str | None = None
    facets: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Attribute:
    """An EAttribute offered to producers."""

    name: str
    type: DataType
    lower: int
    upper: int  # -1 = unbounded
    default: str | None  # defaultValueLiteral as written in the .ecore
    is_id: bool = False
    unsettable: bool = False
    unique: bool = True  # a many-valued one holds each value once (EMF drops a repeat)
    # The `check` detail of its `instancegen` annotation: the realism checks named for it
    # (`service.core.checks`), "none" for no check; None: not annotated (chosen by name and type).
    check: str | None = None

    @property
    def many(self) -> bool:
        return self.upper == -1 or self.upper > 1


@dataclass(frozen=True, slots=True)
class Reference:
    """An EReference offered to producers; `target` is the CIM key of its type."""

    name: str
    target: str
    lower: int
    upper: int
    containment: bool
    opposite: str | None = None
    resolve_proxies: bool = True

    @property
    def many(self) -> bool:
        return self.upper == -1 or self.upper > 1


Feature = Attribute | Reference


@dataclass(frozen=True, slots=True)
class Package:
    """An EPackage: its namespace is what XMI and EMF-JSON name classes by."""

    name: str
    ns_uri: str
    ns_prefix: str
    path: str  # dotted chain of package names, e.g. "auto.signals"
    source: str  # the file it was read from


@dataclass(frozen=True)  # no slots: `feature_map` is a cached_property
class EClassView:
    """An EClass. `features` lists the offered features in EMF's eAllStructuralFeatures order."""

    key: str  # the name a CIM uses: plain, or `package.Class` where names clash
    name: str
    package: Package
    abstract: bool
    interface: bool
    supertypes: tuple[str, ...]  # direct, as keys
    all_supertypes: frozenset[str]  # transitive, as keys, excluding itself
    features: tuple[Feature, ...]

    @property
    def concrete(self) -> bool:
        return not (self.abstract or self.interface)

    @cached_property
    def feature_map(self) -> dict[str, Feature]:
        return {f.name: f for f in self.features}

    @property
    def attributes(self) -> tuple[Attribute, ...]:
        return tuple(f for f in self.features if isinstance(f, Attribute))

    @property
    def references(self) -> tuple[Reference, ...]:
        return tuple(f for f in self.features if isinstance(f, Reference))


@dataclass(frozen=True, slots=True)
class Invariant:
    """An OCL invariant on a class: every instance of `context` (subclasses too) must satisfy
    `expression`. Read from the `.ecore`'s OCL annotations or a Complete OCL file."""

    name: str
    context: str  # class key
    expression: str
    source: str  # the file it was read from

    @property
    def one_line(self) -> str:
        """The expression with its whitespace collapsed, as prompts and messages quote it."""
        return " ".join(self.expression.split())


@dataclass(frozen=True)
class Metamodel:
    """One or several loaded `.ecore` files, as a single queryable whole."""

    packages: tuple[Package, ...]
    classes: dict[str, EClassView]  # by key, in declaration order
    datatypes: dict[str, DataType]  # enums and custom data types by `nsURI#//Name`
    sources: dict[str, bytes]  # file name -> the bytes read (after normalisation)
    content_hash: str
    warnings: tuple[str, ...] = field(default=())
    any_object: str | None = None  # the key of Ecore's EObject where a reference has that type
    invariants: tuple[Invariant, ...] = field(default=())
    # What ExtendedMetaData says of an XSD-derived metamodel (XML names and kinds, document
    # root elements); None when it carries none.
    xml: XmlMetadata | None = None

    @property
    def name(self) -> str:
        return self.packages[0].name if self.packages else "metamodel"

    @cached_property
    def concrete_classes(self) -> tuple[EClassView, ...]:
        return tuple(c for c in self.classes.values() if c.concrete)

    def get_class(self, key: str) -> EClassView:
        """The class a CIM names; an InputError when there is none."""
        try:
            return self.classes[key]
        except KeyError:
            raise InputError(f"the metamodel has no class {key!r}.") from None

    def is_subtype(self, sub: str, sup: str) -> bool:
        """True when `sub` is `sup` or inherits from it (any depth, multiple inheritance)."""
        return sub == sup or sup in self.classes[sub].all_supertypes

    @cached_property
    def _concrete_subtypes(self) -> dict[str, tuple[str, ...]]:
        result: dict[str, list[str]] = {k: [] for k in self.classes}
        for c in self.concrete_classes:
            result[c.key].append(c.key)
            for sup in c.all_supertypes:
                result[sup].append(c.key)
        return {k: tuple(v) for k, v in result.items()}

    def concrete_subtypes(self, key: str) -> tuple[str, ...]:
        """Concrete classes whose instances may stand where `key` is expected."""
        return self._concrete_subtypes[key]

    @cached_property
    def containers_of(self) -> dict[str, tuple[tuple[str, Reference], ...]]:
        """For each class key: the (owner class, containment reference) pairs that can hold it."""
        result: dict[str, list[tuple[str, Reference]]] = {k: [] for k in self.classes}
        for owner in self.concrete_classes:
            for ref in owner.references:
                if ref.containment:
                    for sub in self.concrete_subtypes(ref.target):
                        result[sub].append((owner.key, ref))
        return {k: tuple(v) for k, v in result.items()}

    def invariants_of(self, key: str) -> tuple[Invariant, ...]:
        """The invariants declared on class `key` itself (not those it inherits)."""
        return tuple(i for i in self.invariants if i.context == key)

    def describe(self) -> dict[str, Any]:
        """A short summary (name, nsURI, class names) used by `inspect` and the HTTP API."""
        return {
            "name": self.name,
            "nsURI": self.packages[0].ns_uri if self.packages else None,
            "classes": list(self.classes),
        }


_DERIVED: dict[tuple[int, str], dict[Any, Any]] = {}


def derived(mm: Metamodel, what: str) -> dict[Any, Any]:
    """A dict for what `what` derives from `mm` alone (the validator's rules per class, the
    realism checks chosen per class), kept while `mm` lives and dropped with it: a service
    checks many small models against one metamodel, and deriving those costs more than
    checking a few objects."""
    key = (id(mm), what)
    found = _DERIVED.get(key)
    if found is None:
        found = _DERIVED[key] = {}
        weakref.finalize(mm, _DERIVED.pop, key, None)
    return found
