"""What EMF's ExtendedMetaData annotations say of an XSD-derived metamodel, as plain data.

EMF's XSD importer records on each class and feature the XML Schema construct it came from
(annotation source `http:///org/eclipse/emf/ecore/util/ExtendedMetaData`): the XML name, the
kind (`attribute`, `element`, `simple` content, wildcards, `group` feature maps, `mixed` text)
and the namespace. A class named `""` of kind `mixed` is the document root: each of its element
features is a global element of the schema, a document's possible root element. The `xml`
compiler and importer, the XMI writer for such metamodels and the prompt read this, never the
annotations themselves.

How feature maps reach the CIM (docs/xml.md): a `group` feature map is not shown, its member
features are ordinary features; an element wildcard is an attribute whose values are XML
elements written out (`<p xmlns="…">…</p>`); a `mixed` feature map of an ordinary class is one
string attribute, the element's text; attribute wildcards are not offered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

SOURCE = "http:///org/eclipse/emf/ecore/util/ExtendedMetaData"
FEATURE_MAP_TYPES = frozenset({"EFeatureMapEntry", "org.eclipse.emf.ecore.util.FeatureMap$Entry"})

XmlKind = Literal[
    "attribute", "element", "simple", "elementWildcard", "attributeWildcard", "group", "unspecified"
]
ContentKind = Literal["empty", "simple", "mixed", "elementOnly", "unspecified"]
# What a feature is to the CIM: an ordinary feature, wildcard content, a mixed class's text,
# or hidden (a group feature map, an attribute wildcard).
Role = Literal["plain", "member", "wildcard", "text", "hidden"]


@dataclass(frozen=True, slots=True)
class XmlFeature:
    """How one feature appears in XML."""

    name: str  # the XML local name (the feature's name where no annotation gives one)
    kind: XmlKind
    namespace: str | None  # the element or attribute's namespace URI; None: unqualified
    wildcards: tuple[str, ...] = ()  # for wildcards: namespace URIs, "##any", "##other", "##local"
    target_namespace: str = ""  # the namespace of the declaring package ("##other" is relative)


@dataclass(frozen=True)
class XmlClass:
    """How objects of one class appear in XML: the XML type name, the content kind and every
    offered feature's XML form (inherited ones included)."""

    name: str
    kind: ContentKind
    features: dict[str, XmlFeature]

    @property
    def text_feature(self) -> str | None:
        """The feature whose value is the element's text (simple content, or mixed text)."""
        return next((n for n, f in self.features.items() if f.kind == "simple"), None)


@dataclass(frozen=True, slots=True)
class DocumentElement:
    """A global element of the schema: a document's possible root element."""

    name: str
    namespace: str | None
    class_key: str  # the CIM class its content is
    feature: str  # the document root's feature (EMF's fragment paths start `//@feature`)


@dataclass(frozen=True)
class XmlMetadata:
    """ExtendedMetaData of a whole metamodel."""

    classes: dict[str, XmlClass]  # by class key
    elements: tuple[DocumentElement, ...]
    prefixes: dict[str, str]  # namespace URI -> prefix (the packages' nsPrefix)

    def root_element(self, class_key: str, is_subtype: Any) -> DocumentElement | None:
        """The global element a root object of `class_key` is written as: one whose type is
        the class itself, else one whose type it inherits from."""
        exact = next((e for e in self.elements if e.class_key == class_key), None)
        if exact is not None:
            return exact
        return next((e for e in self.elements if is_subtype(class_key, e.class_key)), None)


def details(obj: Any) -> dict[str, str] | None:
    """The ExtendedMetaData details of a pyecore class or feature, or None without any."""
    for ann in getattr(obj, "eAnnotations", ()):
        if ann.source == SOURCE:
            return {str(k): str(v) for k, v in ann.details.items()}
    return None


def is_document_root(emd: Mapping[str, str] | None) -> bool:
    """The class EMF's XSD importer makes for the schema's global elements."""
    return emd is not None and emd.get("name") == "" and emd.get("kind") == "mixed"


def role(emd: Mapping[str, str] | None, feature_map: bool) -> Role:
    """What a feature is to the CIM (see the module docstring)."""
    if emd is None:
        return "plain"
    kind = emd.get("kind", "")
    if feature_map:
        if kind == "elementWildcard" and emd.get("name") == ":mixed":
            return "text"
        if kind == "elementWildcard":
            return "wildcard"
        return "hidden"
    return "member" if "group" in emd else "plain"


def feature_xml(name: str, emd: Mapping[str, str] | None, target_namespace: str) -> XmlFeature:
    """A feature's XML form, namespaces resolved against its package's nsURI."""
    emd = emd or {}
    kind = emd.get("kind", "unspecified")
    xml_name = emd.get("name", name)
    ns = emd.get("namespace")
    namespace = target_namespace if ns == "##targetNamespace" else ns
    if kind not in XML_KINDS:
        kind = "unspecified"
    wildcards = tuple(emd.get("wildcards", "##any").split()) if "Wildcard" in kind else ()
    return XmlFeature(
        name=xml_name if not xml_name.startswith(":") else "",
        kind=kind,  # type: ignore[arg-type]
        namespace=namespace or None,
        wildcards=wildcards,
        target_namespace=target_namespace,
    )


XML_KINDS = frozenset(
    {"attribute", "element", "simple", "elementWildcard", "attributeWildcard", "group"}
)


def content_kind(emd: Mapping[str, str] | None) -> ContentKind:
    kind = (emd or {}).get("kind", "unspecified")
    return kind if kind in ("empty", "simple", "mixed", "elementOnly") else "unspecified"  # type: ignore[return-value]


def allows(wildcards: tuple[str, ...], target_namespace: str, namespace: str | None) -> bool:
    """Whether an element wildcard takes an element of `namespace` (None: no namespace)."""
    for w in wildcards:
        if w == "##any":
            return True
        if w == "##other" and namespace not in (None, target_namespace):
            return True
        if w == "##local" and namespace is None:
            return True
        if w == "##targetNamespace" and namespace == target_namespace:
            return True
        if w == namespace:
            return True
    return False
