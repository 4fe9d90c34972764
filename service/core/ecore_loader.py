"""Load one or several `.ecore` files into the pyecore-free `Metamodel` view.

Every file passes the hardened parser first; cross-file references are resolved up front
(relative paths, nsURIs, `platform:` URIs by file name, `Ecore.ecore` paths), so pyecore only
ever sees bytes we already checked and can neither read an unnamed local file nor fetch a URL.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lxml import etree
from pyecore.ecore import EAttribute, EClass, EDataType, EEnum, EPackage, EProxy, EReference
from pyecore.resources import URI, ResourceSet

from instancegen.service.core import extended_metadata as emd_mod
from instancegen.service.core import limits as limits_mod
from instancegen.service.core import xsd_types
from instancegen.service.core.errors import InputError
from instancegen.service.core.extended_metadata import XmlMetadata
from instancegen.service.core.input_files import read_input, read_input_text
from instancegen.service.core.metamodel import (
    ECORE_NS,
    Attribute,
    DataType,
    EClassView,
    Feature,
    Metamodel,
    Package,
    Reference,
    TypeKind,
)
from instancegen.service.core.ocl.sources import from_annotations, with_constraints
from instancegen.service.core.primitive_like import ecore_type_for, read_as_warning
from instancegen.service.core.xmlsafe import parse_xml, xml_bytes

XMI_NS = "http://www.omg.org/XMI"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_REF_ATTRS = ("eType", "eSuperTypes", "eOpposite", "eKeys", "eClassifier", "eExceptions", "href")
_UPLOAD_ROOT = "/instancegen-upload"
_BUILTIN_ROOT = "/instancegen-builtin"
INSTANCEGEN_ANNOTATION = "instancegen"  # an annotation source of our own: `check` names checks

# Ecore's own data types by name, and Java instance class names of custom EDataTypes.
_ECORE_TYPES: dict[str, tuple[TypeKind, str | None, bool]] = {
    "EString": ("string", None, False),
    "EBoolean": ("bool", None, True),
    "EBooleanObject": ("bool", None, False),
    "EInt": ("int", "int", True),
    "EIntegerObject": ("int", "int", False),
    "ELong": ("int", "long", True),
    "ELongObject": ("int", "long", False),
    "EShort": ("int", "short", True),
    "EShortObject": ("int", "short", False),
    "EByte": ("int", "byte", True),
    "EByteObject": ("int", "byte", False),
    "EChar": ("char", None, True),
    "ECharacterObject": ("char", None, False),
    "EFloat": ("float", None, True),
    "EFloatObject": ("float", None, False),
    "EDouble": ("float", None, True),
    "EDoubleObject": ("float", None, False),
    "EBigInteger": ("bigint", None, False),
    "EBigDecimal": ("decimal", None, False),
    "EDate": ("date", None, False),
    "EJavaObject": ("object", None, False),
}
_JAVA_TYPES: dict[str, str] = {
    "java.lang.String": "EString",
    "boolean": "EBoolean",
    "java.lang.Boolean": "EBooleanObject",
    "int": "EInt",
    "java.lang.Integer": "EIntegerObject",
    "long": "ELong",
    "java.lang.Long": "ELongObject",
    "short": "EShort",
    "java.lang.Short": "EShortObject",
    "byte": "EByte",
    "java.lang.Byte": "EByteObject",
    "char": "EChar",
    "java.lang.Character": "ECharacterObject",
    "float": "EFloat",
    "java.lang.Float": "EFloatObject",
    "double": "EDouble",
    "java.lang.Double": "EDoubleObject",
    "java.math.BigInteger": "EBigInteger",
    "java.math.BigDecimal": "EBigDecimal",
    "java.util.Date": "EDate",
    "java.lang.Object": "EJavaObject",
}


@dataclass
class _Source:
    """One file: its display name, original bytes, parsed tree and internal absolute key."""

    display: str
    key: str
    data: bytes
    tree: etree._ElementTree
    ns_uris: list[str] = field(default_factory=list)
    builtin: bool = False  # a package EMF builds in (XMLType, XMLNamespace), not a given file


def load_metamodel(
    files: Sequence[str | Path] | Mapping[str, bytes | str],
    constraints: Sequence[str | Path] | Mapping[str, str] = (),
) -> Metamodel:
    """Load `.ecore` files from disk (paths) or from memory (name -> text, e.g. an upload).

    From disk, files that the given ones reference by relative path are read too; from
    memory, nothing outside the mapping is ever read. `constraints` are Complete OCL files
    (paths, or name -> text) whose invariants join those of the `.ecore` annotations.
    """
    mm = _load(files)
    if isinstance(constraints, Mapping):
        return with_constraints(mm, constraints)
    return with_constraints(
        mm, {str(p): read_input_text(Path(p), what="a Complete OCL file") for p in constraints}
    )


def _load(files: Sequence[str | Path] | Mapping[str, bytes | str]) -> Metamodel:
    if isinstance(files, Mapping):
        named = {_upload_key(n): (n, _as_bytes(d, n)) for n, d in files.items()}
        sources = [_parse_source(display, key, data) for key, (display, data) in named.items()]
        disk = False
    else:
        if not files:
            raise InputError("no metamodel given: pass at least one .ecore file with -m.")
        sources = [_read_disk(Path(p), str(p)) for p in files]
        disk = True
    if not sources:
        raise InputError("no metamodel given: the metamodel has no files.")
    sources = _close_over_references(sources, disk)
    return _build(sources)


def _as_bytes(data: bytes | str, name: str) -> bytes:
    return xml_bytes(data, name) if isinstance(data, str) else data


def _upload_key(name: str) -> str:
    clean = posixpath.normpath("/" + name.replace("\\", "/")).lstrip("/")
    return f"{_UPLOAD_ROOT}/{clean}"


def _read_disk(path: Path, display: str) -> _Source:
    data = read_input(path, display, what="an .ecore file")
    return _parse_source(display, str(path.resolve()), data)


def _parse_source(display: str, key: str, data: bytes) -> _Source:
    tree = parse_xml(data, display)
    root = tree.getroot()
    packages = _package_elements(root)
    if not packages:
        tag = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        raise InputError(
            f"{display}: not an Ecore metamodel (the root element is <{tag}>, "
            "expected an ecore:EPackage)."
        )
    _check_names(display, packages)
    src = _Source(display, key, data, tree)
    for pkg in packages:
        for el in pkg.iter(f"{{{ECORE_NS}}}EPackage", "eSubpackages"):
            uri = el.get("nsURI")
            if uri:
                src.ns_uris.append(uri)
    return src


_NAMED = {
    "eSubpackages": "a package",
    "eClassifiers": "a classifier",
    "eStructuralFeatures": "a feature",
    "eLiterals": "an enum literal",
}


def _check_names(display: str, packages: list[etree._Element]) -> None:
    """Packages, classifiers, features and enum literals need a name (what the CIM, the prompt
    and XMI call them by); pyecore would fail on a nameless one with an internal error."""
    for pkg in packages:
        for el in pkg.iter(f"{{{ECORE_NS}}}EPackage", *_NAMED):
            if not el.get("name"):
                what = _NAMED.get(str(el.tag), "a package")
                raise InputError(f"{display}, line {el.sourceline}: {what} has no name; name it.")


def _package_elements(root: etree._Element) -> list[etree._Element]:
    if root.tag == f"{{{ECORE_NS}}}EPackage":
        return [root]
    if root.tag == f"{{{XMI_NS}}}XMI":
        return [c for c in root if c.tag == f"{{{ECORE_NS}}}EPackage"]
    return []


def _href_tokens(value: str) -> Iterable[str]:
    return (t for t in value.split() if "#" in t)


def _close_over_references(sources: list[_Source], disk: bool) -> list[_Source]:
    """Find every file referenced from the given ones, rewriting references pyecore can follow.

    Relative paths become absolute internal keys; `Ecore.ecore` paths become Ecore's nsURI;
    `platform:` URIs are matched by file name among the files we have.
    """
    by_key = {s.key: s for s in sources}
    queue = list(sources)
    while queue:
        src = queue.pop()
        for el in src.tree.getroot().iter():
            for attr in _REF_ATTRS:
                value = el.get(attr)
                if value is None:
                    continue
                new_tokens = []
                for token in value.split():
                    if "#" not in token:
                        new_tokens.append(token)
                        continue
                    target, frag = token.rsplit("#", 1)
                    resolved = _resolve_file(src, target, by_key, disk, queue, sources)
                    new_tokens.append(f"{resolved}#{frag}" if resolved is not None else token)
                el.set(attr, " ".join(new_tokens))
    _add_builtins(sources)
    _rewrite_ns_references(sources)
    _decode_fragments(sources)
    known_ns = {u for s in sources for u in s.ns_uris} | {ECORE_NS}
    for src in sources:
        _check_ns_references(src, known_ns)
    packages = _packages_by_target(sources)
    for src in sources:
        _check_fragments(src, packages)
    return sources


def _add_builtins(sources: list[_Source]) -> None:
    """XMLType and XMLNamespace, as EMF has them built in, where a file refers to them and no
    given file declares them."""
    given = {u for s in sources for u in s.ns_uris}
    wanted: set[str] = set()
    for src in sources:
        for el in src.tree.getroot().iter():
            for attr in _REF_ATTRS:
                for token in _href_tokens(el.get(attr) or ""):
                    wanted.add(token.rsplit("#", 1)[0])
    for uri in sorted(wanted - given):
        data = xsd_types.builtin_ecore(uri)
        if data is not None:
            name = uri.rstrip("/").rsplit("/", 1)[-1] + ".ecore"
            src = _parse_source(name, f"{_BUILTIN_ROOT}/{name}", data)
            src.builtin = True
            sources.append(src)


def _rewrite_ns_references(sources: list[_Source]) -> None:
    """`nsURI#//X` becomes `<file key>#<package path>/X`: pyecore resolves an nsURI only
    through packages already loaded, which fails when files refer to each other in a cycle,
    while it loads a file it finds by key on demand."""
    where: dict[str, str] = {}
    for src in sources:
        root = src.tree.getroot()
        for i, top in enumerate(_package_elements(root)):
            for el in top.iter(f"{{{ECORE_NS}}}EPackage", "eSubpackages"):
                uri = el.get("nsURI")
                if uri and uri != ECORE_NS:
                    where.setdefault(uri, f"{src.key}#{_package_fragment(el, top is root, i)}")

    def by_file(token: str) -> str:
        target, _, frag = token.rpartition("#")
        if target in where and frag.startswith("//"):
            return f"{where[target]}/{frag[2:]}"
        return token

    _map_tokens(sources, "#", by_file)


def _decode_fragments(sources: list[_Source]) -> None:
    """Names in a reference's fragment as EMF reads them: percent-decoded (EMF writes a class
    `A::B` as `//A%3A%3AB`); pyecore would look for the encoded name."""

    def decoded(token: str) -> str:
        target, hash_, frag = token.rpartition("#")
        return f"{target}{hash_}{unquote(frag)}"

    _map_tokens(sources, "%", decoded)


def _map_tokens(sources: list[_Source], marker: str, change: Callable[[str], str]) -> None:
    """Every reference token in a value holding `marker`, passed through `change`."""
    for src in sources:
        for el in src.tree.getroot().iter():
            for attr in _REF_ATTRS:
                value = el.get(attr)
                if value is not None and marker in value:
                    el.set(attr, " ".join(change(token) for token in value.split()))


def _package_fragment(el: etree._Element, top_is_root: bool, index: int) -> str:
    """EMF's fragment of a package, so that fragment + "/X" names its classifier X."""
    names: list[str] = []
    while el.tag == "eSubpackages":
        names.insert(0, el.get("name", ""))
        parent = el.getparent()
        assert parent is not None  # a subpackage always has a parent package
        el = parent
    if top_is_root:
        return "//" + "/".join(names) if names else "/"
    return f"/{index}" + "".join(f"/{n}" for n in names)


def _packages_by_target(sources: list[_Source]) -> dict[str, tuple[_Source, list[etree._Element]]]:
    """The top packages of each file, by file key (what `//X` and `/1/X` start from)."""
    return {src.key: (src, _package_elements(src.tree.getroot())) for src in sources}


# `//Name/...` (in a file whose root is the package) or `/2/Name/...` (the third top package).
_NAME_PATH = re.compile(r"^(?://|/([0-9]+)/)([^@/]+(?:/[^@/]+)*)$")


def _check_fragments(
    src: _Source, packages: dict[str, tuple[_Source, list[etree._Element]]]
) -> None:
    """Every `//Name/...` or `/1/Name/...` reference must name something declared, checked
    before pyecore runs so the error names the reference instead of surfacing as a pyecore
    internal error. XMI writes a reference within the file without `#` (`eType="/1/String"`)."""
    for el in src.tree.getroot().iter():
        for attr in _REF_ATTRS:
            for token in (el.get(attr) or "").split():
                target, _, frag = token.rpartition("#")
                owner = packages.get(target or src.key)
                found = _NAME_PATH.match(frag) if owner is not None else None
                if owner is None or found is None:
                    continue  # Ecore's own types, nsURIs, paths by index: left to pyecore
                index, names = found.groups()
                tops = owner[1]
                where = "the file" if owner[0] is src else owner[0].display
                single = owner[0].tree.getroot().tag == f"{{{ECORE_NS}}}EPackage"
                if index is None and not single:
                    continue  # `//X` in a file of several packages: left to pyecore
                at = int(index or 0)
                if at >= len(tops):
                    raise InputError(
                        f"{src.display}: {attr} {_shown(token, src)!r} cannot be resolved: "
                        f"{where} has {len(tops)} top package(s)."
                    )
                node = tops[at]
                for name in names.split("/"):
                    if name.startswith("%") and name.endswith("%"):
                        raise InputError(
                            f"{src.display}: {attr} {_shown(token, src)!r} points into the "
                            f"annotation {name[1:-1]!r} (UML2's redefinitions); a reference to "
                            "a feature held by an annotation is not supported."
                        )
                    child = next((c for c in node if c.get("name") == name), None)
                    if child is None:
                        raise InputError(
                            f"{src.display}: {attr} {_shown(token, src)!r} cannot be resolved: "
                            f"{where} declares no {name!r}."
                        )
                    node = child


def _shown(token: str, src: _Source) -> str:
    """A reference as the user wrote it, give or take the internal absolute file key."""
    if "#" not in token:
        return token
    target, frag = token.rsplit("#", 1)
    if target == src.key:
        target = ""
    elif target.startswith("/"):
        target = posixpath.basename(target)
    return f"{target}#{frag}"


def _resolve_file(
    src: _Source,
    target: str,
    by_key: dict[str, _Source],
    disk: bool,
    queue: list[_Source],
    sources: list[_Source],
) -> str | None:
    """The rewritten file part of a reference, or None to keep it (local or by nsURI)."""
    if target == "" or target.startswith(_UPLOAD_ROOT) or target in by_key:
        return None
    if target.rsplit("/", 1)[-1] == "Ecore.ecore":
        return ECORE_NS
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
        if target.startswith("platform:"):
            return _match_by_file_name(src, target, sources)
        return None  # an nsURI: checked once every file is known
    key = posixpath.normpath(posixpath.join(posixpath.dirname(src.key), target))
    if key not in by_key:
        if not disk:
            raise InputError(
                f"{src.display}: refers to {target!r}, which is not among the uploaded files."
            )
        try:
            new = _read_disk(Path(key), target)
        except InputError as exc:
            raise InputError(f"{src.display}: refers to {exc.message}") from None
        by_key[key] = new
        sources.append(new)
        queue.append(new)
    return key


def _match_by_file_name(src: _Source, target: str, sources: list[_Source]) -> str:
    base = target.rsplit("/", 1)[-1]
    matches = [s for s in sources if s.key.rsplit("/", 1)[-1] == base]
    if len(matches) != 1:
        raise InputError(
            f"{src.display}: refers to {target!r}; pass that file too (with another -m)."
        )
    return matches[0].key


def _check_ns_references(src: _Source, known_ns: set[str]) -> None:
    for el in src.tree.getroot().iter():
        for attr in _REF_ATTRS:
            for token in _href_tokens(el.get(attr) or ""):
                target = token.rsplit("#", 1)[0]
                if (
                    target
                    and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target)
                    and target not in known_ns
                ):
                    raise InputError(
                        f"{src.display}: {attr} {token!r} names a package no given file "
                        "declares; pass its .ecore file too."
                    )


class _MemoryURI(URI):
    """A URI whose bytes we already hold: pyecore never opens a file or a socket through it."""

    def __init__(self, uri: str, files: Mapping[str, bytes]) -> None:
        super().__init__(uri)
        self._files = files

    def create_instream(self) -> BytesIO:
        data = self._files.get(self.plain)
        if data is None:
            raise InputError(f"refers to {self.plain!r}, which was not given.")
        return BytesIO(data)

    def close_stream(self) -> None:
        """Nothing to close: the stream is an in-memory buffer."""


class _MemoryConverter:
    """Sends every URI pyecore wants to open to our in-memory files (and nowhere else)."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self.files = files

    def can_handle(self, uri: URI) -> bool:
        return True

    def convert(self, uri: URI) -> URI:
        return _MemoryURI(uri.plain, self.files)


def _build(sources: list[_Source]) -> Metamodel:
    loaded = _load_packages(sources)[1]
    roots = [(src, root) for src in sources for root in loaded[src.key]]
    try:
        return _Viewer(sources, roots).metamodel()
    except InputError:
        raise
    except Exception as exc:  # pyecore raises bare errors on unresolvable proxies
        raise InputError(f"the metamodel cannot be resolved: {_pyecore_message(exc)}.") from None


def pyecore_resource_set(metamodel: Metamodel) -> ResourceSet:
    """A pyecore ResourceSet with `metamodel`'s packages registered by nsURI, loaded again
    from its sources (the `Metamodel` view itself keeps no pyecore objects), for scripts
    that work with pyecore's live EObjects."""
    named = {_upload_key(n): (n, d) for n, d in metamodel.sources.items()}
    sources = [_parse_source(display, key, data) for key, (display, data) in named.items()]
    return _load_packages(_close_over_references(sources, False))[0]


def load_into(rset: ResourceSet, name: str, data: bytes) -> Any:
    """A pyecore resource read from `data` (already checked bytes) under the URI `name`."""
    return rset.get_resource(_MemoryURI(name, {name: data}))


def _load_packages(sources: list[_Source]) -> tuple[ResourceSet, dict[str, list[EPackage]]]:
    files = {s.key: etree.tostring(s.tree, xml_declaration=True, encoding="UTF-8") for s in sources}
    rset = ResourceSet()
    rset.uri_converter.insert(0, _MemoryConverter(files))
    loaded: dict[str, list[EPackage]] = {}
    for src in sources:
        try:
            resource = rset.get_resource(_MemoryURI(src.key, files))
        except InputError as exc:
            raise InputError(f"{src.display}: {exc.message}") from None
        except Exception as exc:
            raise InputError(f"{src.display}: not a usable Ecore metamodel ({exc}).") from None
        loaded[src.key] = [r for r in resource.contents if isinstance(r, EPackage)]
        for root in loaded[src.key]:
            for pkg in _walk_packages(root):
                if pkg.nsURI:
                    rset.metamodel_registry[pkg.nsURI] = pkg
    return rset, loaded


def _pyecore_message(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


def _walk_packages(pkg: EPackage) -> Iterable[EPackage]:
    yield pkg
    for sub in pkg.eSubpackages:
        yield from _walk_packages(sub)


class _Viewer:
    """Turns resolved pyecore packages into the immutable `Metamodel` view."""

    def __init__(self, sources: list[_Source], roots: list[tuple[_Source, EPackage]]) -> None:
        self.sources = sources
        self.roots = roots
        self.warnings: list[str] = []
        self.packages: dict[int, Package] = {}
        self.eclasses: list[tuple[EClass, Package]] = []
        self.keys: dict[int, str] = {}
        self.datatypes: dict[str, DataType] = {}
        self._dt_cache: dict[int, DataType] = {}
        self._features: dict[int, tuple[Feature, ...]] = {}
        self.any_object: str | None = None  # the key of Ecore's EObject, once a reference uses it
        self.document_roots: list[tuple[EClass, Package]] = []
        self.extended = False  # some class or feature carries ExtendedMetaData
        self.any_type: str | None = None  # the key of XMLType's AnyType, once a feature uses it
        self._xml_features: dict[int, emd_mod.XmlFeature] = {}

    def metamodel(self) -> Metamodel:
        for src, root in self.roots:
            self._collect(root, src, "")
        limits_mod.current().check(
            "max_classes", len(self.eclasses), "the number of classes in the metamodel"
        )
        names: dict[str, int] = {}
        for ecls, _ in self.eclasses:
            names[ecls.name] = names.get(ecls.name, 0) + 1
        for ecls, pkg in self.eclasses:
            clash = names[ecls.name] > 1
            self.keys[id(ecls)] = f"{pkg.path}.{ecls.name}" if clash else ecls.name
        classes = {self.keys[id(c)]: self._class_view(c, p) for c, p in self.eclasses}
        if self.any_type is not None:
            classes[self.any_type] = _featureless_class(
                self.any_type, "AnyType", _XMLTYPE_PACKAGE, abstract=False
            )
        if self.any_object is not None:
            classes = _with_any_object(classes, self.any_object)
        invariants = tuple(
            invariant
            for c, p in self.eclasses
            for invariant in from_annotations(
                self.keys[id(c)], ((a.source, a.details) for a in c.eAnnotations), p.source
            )
        )
        given = [s for s in self.sources if not s.builtin]
        digest = hashlib.sha256()
        for data in sorted(s.data for s in given):
            digest.update(hashlib.sha256(data).digest())
        return Metamodel(
            packages=tuple(self.packages.values()),
            classes=classes,
            datatypes=self.datatypes,
            sources={s.display: s.data for s in given},
            content_hash=digest.hexdigest(),
            warnings=tuple(self.warnings),
            any_object=self.any_object,
            invariants=invariants,
            xml=self._xml_metadata(classes) if self.extended else None,
        )

    def _xml_metadata(self, classes: dict[str, EClassView]) -> XmlMetadata:
        """ExtendedMetaData of the classes viewed, and the document roots' global elements."""
        xml_classes = {}
        for ecls, _ in self.eclasses:
            key = self.keys[id(ecls)]
            emd = emd_mod.details(ecls)
            xml_classes[key] = emd_mod.XmlClass(
                name=(emd or {}).get("name", str(ecls.name)),
                kind=emd_mod.content_kind(emd),
                features={
                    f.name: self._xml_features[id(f)]
                    for f in classes[key].features
                    if id(f) in self._xml_features
                },
            )
        elements = []
        for root, pkg in self.document_roots:
            for ef in root.eStructuralFeatures:
                xml = emd_mod.feature_xml(str(ef.name), emd_mod.details(ef), pkg.ns_uri)
                etype = self._resolved(ef.eType, f"{root.name}.{ef.name}: its eType")
                if xml.kind == "element" and isinstance(etype, EClass) and id(etype) in self.keys:
                    elements.append(
                        emd_mod.DocumentElement(
                            xml.name, xml.namespace, self.keys[id(etype)], str(ef.name)
                        )
                    )
        return XmlMetadata(
            classes=xml_classes,
            elements=tuple(elements),
            prefixes={p.ns_uri: p.ns_prefix for p in self.packages.values()},
        )

    def _collect(self, epkg: EPackage, src: _Source, parent: str) -> None:
        if src.builtin:
            return  # EMF's own packages: their data types are found through references
        path = f"{parent}.{epkg.name}" if parent else str(epkg.name)
        ns_uri = epkg.nsURI
        if not ns_uri:
            ns_uri = f"urn:instancegen:{path}"
            self.warnings.append(
                f"{src.display}: package {path!r} has no nsURI; using {ns_uri!r} instead. "
                "Give it an nsURI so EMF can find it."
            )
        pkg = Package(
            name=str(epkg.name),
            ns_uri=ns_uri,
            ns_prefix=epkg.nsPrefix or str(epkg.name),
            path=path,
            source=src.display,
        )
        self.packages[id(epkg)] = pkg
        for classifier in epkg.eClassifiers:
            emd = emd_mod.details(classifier)
            self.extended = self.extended or emd is not None or _features_annotated(classifier)
            if isinstance(classifier, EClass):
                if emd_mod.is_document_root(emd):
                    self.document_roots.append((classifier, pkg))  # the document, no object
                else:
                    self.eclasses.append((classifier, pkg))
        for sub in epkg.eSubpackages:
            self._collect(sub, src, path)

    def _class_view(self, ecls: EClass, pkg: Package) -> EClassView:
        key = self.keys[id(ecls)]
        supers = [self._resolved(s, f"{key}: a supertype") for s in ecls.eSuperTypes]
        all_supers: set[str] = set()
        stack = list(supers)
        while stack:
            s = stack.pop()
            k = self._key_of(s, key)
            if k not in all_supers:
                all_supers.add(k)
                stack.extend(self._resolved(x, f"{k}: a supertype") for x in s.eSuperTypes)
        all_supers.discard(key)
        return EClassView(
            key=key,
            name=str(ecls.name),
            package=pkg,
            abstract=bool(ecls.abstract),
            interface=bool(ecls.interface),
            supertypes=tuple(self._key_of(s, key) for s in supers),
            all_supertypes=frozenset(all_supers),
            features=self._all_features(ecls),
        )

    def _key_of(self, ecls: EClass, user: str) -> str:
        k = self.keys.get(id(ecls))
        if k is None:
            raise InputError(
                f"{user}: refers to class {ecls.name!r}, which no given file declares."
            )
        return k

    def _reference_type(self, etype: EClass, where: str, containment: bool = False) -> str:
        """The key of a reference's type; Ecore's EObject (any object) gets a key of its own,
        `EObject` unless a class of the metamodel is called that. A containment of EObject in
        an XSD-derived metamodel is an element of type anyType, which EMF reads as XMLType's
        AnyType: that is its type."""
        pkg = etype.ePackage
        is_eobject = etype.name == "EObject" and pkg is not None and pkg.nsURI == ECORE_NS
        if is_eobject and containment and self.extended:
            if self.any_type is None:
                taken = any(c.name == "AnyType" for c, _ in self.eclasses)
                self.any_type = "type.AnyType" if taken else "AnyType"
            return self.any_type
        if is_eobject:
            if self.any_object is None:
                taken = any(c.name == "EObject" for c, _ in self.eclasses)
                self.any_object = "ecore.EObject" if taken else "EObject"
            return self.any_object
        if pkg is not None and pkg.nsURI == ECORE_NS and id(etype) not in self.keys:
            raise InputError(
                f"{where}: a reference to Ecore's own {etype.name} (objects of a metamodel) is "
                "not supported; EObject (any object) is."
            )
        return self._key_of(etype, where)

    @staticmethod
    def _resolved(obj: Any, what: str) -> Any:
        """Force a pyecore proxy to its target; an unresolvable one becomes a clear InputError."""
        if obj is None:
            raise InputError(f"{what} is missing.")
        if isinstance(obj, EProxy):
            try:
                obj = obj.force_resolve()
            except Exception:
                raise InputError(f"{what} {obj._proxy_path!r} cannot be resolved.") from None
            if obj is None:
                raise InputError(f"{what} cannot be resolved.")
        return obj

    def _all_features(self, ecls: EClass) -> tuple[Feature, ...]:
        """EMF's eAllStructuralFeatures order: supertypes' (first occurrence wins), then own."""
        cached = self._features.get(id(ecls))
        if cached is not None:
            return cached
        result: list[Feature] = []
        seen: set[str] = set()
        for sup in ecls.eSuperTypes:
            for f in self._all_features(self._resolved(sup, f"{ecls.name}: a supertype")):
                if f.name not in seen:
                    seen.add(f.name)
                    result.append(f)
        for ef in ecls.eStructuralFeatures:
            view = self._feature(ecls, ef)
            if view is not None and view.name not in seen:
                seen.add(view.name)
                result.append(view)
        self._features[id(ecls)] = tuple(result)
        return self._features[id(ecls)]

    def _feature(self, ecls: EClass, ef: Any) -> Feature | None:
        where = f"{ecls.name}.{ef.name}"
        etype = ef.eType
        if etype is None:
            raise InputError(f"{where}: has no eType.")
        etype = self._resolved(etype, f"{where}: its eType")
        emd = emd_mod.details(ef)
        self.extended = self.extended or emd is not None
        feature_map = _is_feature_map(etype)
        role = emd_mod.role(emd, feature_map)
        if feature_map and emd is None:
            raise InputError(
                f"{where}: a feature map (EFeatureMapEntry) without ExtendedMetaData saying "
                "what it holds is not supported."
            )
        if role == "member":
            self._check_group(ecls, ef, emd or {}, where)
        if role == "hidden" or (role != "member" and not _offered(ef)):
            return None
        lower, upper = (
            int(ef.lowerBound or 0),
            int(ef.upperBound if ef.upperBound is not None else 1),
        )
        view = self._feature_view(ecls, ef, etype, role, lower, upper, where)
        if view is not None and self.extended:
            pkg = ecls.ePackage
            namespace = str(pkg.nsURI or "") if pkg is not None else ""
            self._xml_features[id(view)] = emd_mod.feature_xml(str(ef.name), emd, namespace)
        return view

    def _check_group(self, ecls: EClass, ef: Any, emd: dict[str, str], where: str) -> None:
        """A group member names a feature map of its class (`#group:0`); one naming none is
        not a model EMF can hold."""
        wanted = emd["group"].lstrip("#")
        for f in ecls.eAllStructuralFeatures():
            if emd_mod.details(f) is not None and emd_mod.details(f).get("name") == wanted:  # type: ignore[union-attr]
                return
        raise InputError(
            f"{where}: belongs to the feature-map group {emd['group']!r}, which its class "
            "does not declare."
        )

    def _feature_view(
        self, ecls: EClass, ef: Any, etype: Any, role: str, lower: int, upper: int, where: str
    ) -> Feature | None:
        """The view of an offered feature; wildcard content and mixed text are attributes."""
        if role == "wildcard":
            emd = emd_mod.details(ef) or {}
            return Attribute(
                name=str(ef.name),
                type=_wildcard_type(emd, ecls),
                lower=lower,
                upper=upper,
                default=None,
            )
        if role == "text":
            return Attribute(name=str(ef.name), type=_MIXED_TEXT, lower=0, upper=1, default=None)
        if isinstance(ef, EReference):
            if not isinstance(etype, EClass):
                raise InputError(f"{where}: a reference whose eType is not a class.")
            opp = ef.eOpposite
            if opp is not None:
                opp = self._resolved(opp, f"{where}: its eOpposite")
            if opp is not None and opp.containment:
                return None  # the container end of a containment: implied, never serialized
            return Reference(
                name=str(ef.name),
                target=self._reference_type(etype, where, bool(ef.containment)),
                lower=lower,
                upper=upper,
                containment=bool(ef.containment),
                opposite=str(opp.name) if opp is not None else None,
                resolve_proxies=bool(getattr(ef, "resolveProxies", True)),
            )
        if isinstance(ef, EAttribute):
            return Attribute(
                name=str(ef.name),
                type=self._datatype(etype, where),
                lower=lower,
                upper=upper,
                default=ef.defaultValueLiteral,
                is_id=bool(ef.iD),
                unsettable=bool(ef.unsettable),
                unique=bool(getattr(ef, "unique", True)),
                check=_instancegen_detail(ef, "check"),
            )
        return None

    def _datatype(self, etype: EDataType, where: str) -> DataType:
        cached = self._dt_cache.get(id(etype))
        if cached is not None:
            return cached
        name = str(etype.name)
        icn = getattr(etype, "instanceClassName", None)
        pkg = etype.ePackage
        view = self.packages.get(id(pkg))  # its nsURI, or the one invented for it
        ns = view.ns_uri if view is not None else pkg.nsURI if pkg is not None else None
        derived = self._xsd_datatype(etype, name, ns, where)
        if derived is not None:
            self._dt_cache[id(etype)] = derived
            if ns not in (ECORE_NS, xsd_types.XMLTYPE_NS, xsd_types.XMLNAMESPACE_NS):
                self.datatypes[f"{ns}#//{name}"] = derived
            return derived
        if isinstance(etype, EEnum):
            dt = DataType(
                name=name,
                kind="enum",
                literals=tuple(str(lit.name) for lit in etype.eLiterals),
                literal_values=tuple(str(lit.literal or lit.name) for lit in etype.eLiterals),
                package=ns,
            )
        else:
            stands_for = None if ns == ECORE_NS else ecore_type_for(name, icn)
            base = name if ns == ECORE_NS else stands_for or _JAVA_TYPES.get(icn or "", "")
            kind, size, primitive = _ECORE_TYPES.get(base, ("other", None, False))
            dt = DataType(name, kind, size, package=ns, primitive=primitive, stands_for=stands_for)
            if stands_for is not None and view is not None:
                self.warnings.append(read_as_warning(view.source, name, stands_for))
        if ns != ECORE_NS:
            self.datatypes[f"{ns}#//{name}"] = dt
        self._dt_cache[id(etype)] = dt
        return dt

    def _xsd_datatype(
        self, etype: EDataType, name: str, ns: str | None, where: str
    ) -> DataType | None:
        """An XMLType data type, or one an XSD-derived metamodel derives through its
        ExtendedMetaData `baseType` (with the facets it adds); None for any other."""
        if ns == xsd_types.XMLTYPE_NS and name in xsd_types.XMLTYPE:
            return _builtin_type(xsd_types.XMLTYPE[name], ns)
        if ns == xsd_types.XMLNAMESPACE_NS and name in xsd_types.XMLNAMESPACE:
            return _builtin_type(xsd_types.XMLNAMESPACE[name], ns)
        emd = emd_mod.details(etype) or {}
        base_ref = emd.get("baseType")
        if base_ref is None:
            return None
        base = self._base_type(etype, base_ref, where)
        if base is None:
            return None
        facets = tuple((k, v) for k, v in emd.items() if k in _FACETS)
        return replace(base, name=name, package=ns, primitive=False, facets=base.facets + facets)

    def _base_type(self, etype: EDataType, ref: str, where: str) -> DataType | None:
        """The data type a `baseType` names: `nsURI#name` or a name in the same package, by
        its XML name (ExtendedMetaData `name`) or its Ecore name."""
        uri, _, local = ref.rpartition("#")
        if uri == xsd_types.XMLTYPE_NS:
            found = xsd_types.BY_XSD_NAME.get(local)
            return _builtin_type(found, uri) if found is not None else None
        pkg = etype.ePackage
        if uri and pkg is not None and pkg.nsURI != uri:
            pkg = next((p for p in self._all_packages() if p.nsURI == uri), None)
        if pkg is None:
            return None
        for classifier in pkg.eClassifiers:
            if classifier is etype or isinstance(classifier, EClass):
                continue
            xml_name = (emd_mod.details(classifier) or {}).get("name", classifier.name)
            if local in (xml_name, classifier.name):
                return self._datatype(classifier, where)
        return None

    def _all_packages(self) -> list[EPackage]:
        """Every pyecore package viewed, subpackages included."""
        return [p for _, root in self.roots for p in _walk_packages(root)]


_ECORE_PACKAGE = Package(
    name="ecore", ns_uri=ECORE_NS, ns_prefix="ecore", path="ecore", source="Ecore.ecore"
)
_XMLTYPE_PACKAGE = Package(
    name="type", ns_uri=xsd_types.XMLTYPE_NS, ns_prefix="xsd", path="type", source="XMLType.ecore"
)
_FACETS = frozenset(
    {
        "minInclusive",
        "maxInclusive",
        "minExclusive",
        "maxExclusive",
        "totalDigits",
        "fractionDigits",
        "length",
        "minLength",
        "maxLength",
        "pattern",
        "enumeration",
    }
)
# A mixed class's text (its `mixed` feature map, without elements).
_MIXED_TEXT = DataType(name="EFeatureMapEntry", kind="string", xsd="#text")


def _builtin_type(t: xsd_types.XsdType, ns: str) -> DataType:
    return DataType(
        name=t.name,
        kind=t.kind,
        int_size=t.int_size,
        package=ns,
        primitive=t.primitive,
        xsd=t.xsd,
    )


def _wildcard_type(emd: dict[str, str], ecls: EClass) -> DataType:
    """Element wildcard content: XML elements of the namespaces the wildcard allows."""
    pkg = ecls.ePackage
    return DataType(
        name="EFeatureMapEntry",
        kind="string",
        xsd="#wildcard",
        facets=(
            ("wildcards", emd.get("wildcards", "##any")),
            ("targetNamespace", str(pkg.nsURI or "") if pkg is not None else ""),
        ),
    )


def _is_feature_map(etype: Any) -> bool:
    if isinstance(etype, EClass):
        return False
    icn = getattr(etype, "instanceClassName", None)
    return etype.name in emd_mod.FEATURE_MAP_TYPES or icn in emd_mod.FEATURE_MAP_TYPES


def _features_annotated(classifier: Any) -> bool:
    return any(
        emd_mod.details(f) is not None for f in getattr(classifier, "eStructuralFeatures", ())
    )


def _featureless_class(key: str, name: str, package: Package, abstract: bool) -> EClassView:
    """A class EMF builds in, seen without features: XMLType's AnyType (the content of an
    element of type anyType, written empty) or Ecore's EObject."""
    return EClassView(
        key=key,
        name=name,
        package=package,
        abstract=abstract,
        interface=False,
        supertypes=(),
        all_supertypes=frozenset(),
        features=(),
    )


def _with_any_object(classes: dict[str, EClassView], key: str) -> dict[str, EClassView]:
    """The classes plus Ecore's EObject as an abstract class every class inherits from (as in
    EMF), so "any object" needs no special case where types are compared."""
    any_object = _featureless_class(key, "EObject", _ECORE_PACKAGE, abstract=True)
    result = {k: replace(c, all_supertypes=c.all_supertypes | {key}) for k, c in classes.items()}
    result[key] = any_object
    return result


def _instancegen_detail(ef: Any, key: str) -> str | None:
    """A detail of the feature's `instancegen` annotation, as written; None without one."""
    for ann in getattr(ef, "eAnnotations", ()):
        if ann.source == INSTANCEGEN_ANNOTATION and key in ann.details:
            return str(ann.details[key])
    return None


def _offered(ef: Any) -> bool:
    """Derived, transient, volatile and non-changeable features are not for producers."""
    return not (
        bool(ef.derived) or bool(ef.transient) or bool(ef.volatile) or not bool(ef.changeable)
    )
