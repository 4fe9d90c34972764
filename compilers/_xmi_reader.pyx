# cython: language_level=3
"""The XMI importer's walk over a parsed document: each object element becomes a node of a
`CimBuilder`, with its attribute values and reference tokens.

Compiled (Cython), reading libxml2's tree directly through lxml's C API: going through
lxml's Python objects (an element proxy per element, a tuple per attribute) cost several
times the parse itself. Only strings that end up in the CIM become Python objects; source
lines are looked up only for error messages.
"""

from cpython.ref cimport PyObject
from libc.string cimport strcmp
from lxml.includes cimport etreepublic as cetree
from lxml.includes cimport tree

from instancegen.compilers._builder cimport CimBuilder, Node

from lxml import etree

from instancegen.compilers import xmi
from instancegen.compilers.xmi_walk import without_type_hints  # rare (typed hrefs): no compiled copy
from instancegen.service.core.values import enum_names, reader
from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import Attribute

cetree.import_lxml__etree()

cdef extern from "Python.h":
    str PyUnicode_FromString(const char*)

cdef bytes _XMI_NS = xmi.XMI_NS.encode()
cdef bytes _XSI_NS = xmi.XSI_NS.encode()
cdef const char* XMI_NS = _XMI_NS
cdef const char* XSI_NS = _XSI_NS

# What a name (XML attribute or child element) of an object's element stands for.
cdef enum Kind:
    SINGLE, MANY, REF, CONTAINED

cdef enum:
    CACHED = 16


cdef class _Meaning:
    cdef Kind kind
    cdef str name
    cdef object feature
    cdef object convert  # for attributes, a function reading a value (None: keep the text)
    cdef dict enum_names  # for enums, the usual texts and the names they read as
    cdef bint is_id  # the class's iD attribute
    cdef int position  # the feature's index among its class's features
    cdef _Plan target  # for containments, the plan of the target class (made when first used)


cdef class _Plan:
    """What each of a class's feature names stands for, and how to read its values."""
    cdef object cls
    cdef str key
    cdef bint checked  # the builder has accepted the class as instantiable
    cdef dict meanings
    # The meanings last looked up, by libxml2's name pointer: the parser interns names, so
    # one comparison finds them again without making a Python string.
    cdef const tree.xmlChar* names[CACHED]
    cdef PyObject* cached[CACHED]  # borrowed from `meanings`
    cdef int ncached


cdef _Meaning _meaning(_Plan plan, const tree.xmlChar* name):
    """What `name` stands for in the plan's class, or None."""
    cdef int i
    for i in range(plan.ncached):
        if plan.names[i] == name:
            return <_Meaning>plan.cached[i]
    meaning = plan.meanings.get(PyUnicode_FromString(<const char*>name))
    if meaning is not None and plan.ncached < CACHED:
        plan.names[plan.ncached] = name
        plan.cached[plan.ncached] = <PyObject*>meaning
        plan.ncached += 1
    return meaning


def read_xmi(cetree._Element root, metamodel, str name, CimBuilder builder):
    """Read the document under `root` (one object or an `xmi:XMI` wrapper) into `builder`."""
    _Reader(metamodel, name, builder, root._doc).read(root)


cdef class _Reader:
    cdef str name
    cdef object metamodel
    cdef CimBuilder builder
    cdef cetree._Document doc
    cdef dict classes
    cdef set namespaces
    cdef dict plans

    def __init__(self, metamodel, str name, CimBuilder builder, cetree._Document doc):
        self.name = name
        self.metamodel = metamodel
        self.builder = builder
        self.doc = doc
        self.classes = {(c.package.ns_uri, c.name): c for c in metamodel.classes.values()}
        self.namespaces = {p.ns_uri for p in metamodel.packages}
        self.plans = {}

    cdef read(self, cetree._Element root):
        cdef tree.xmlNode* c = root._c_node
        cdef list tops = []
        if _in_ns(c, XMI_NS) and strcmp(<const char*>c.name, b"XMI") == 0:
            c = c.children
            while c is not NULL:
                if c.type == tree.XML_ELEMENT_NODE and not _in_ns(c, XMI_NS):
                    tops.append(cetree.elementFactory(self.doc, c))
                c = c.next
        else:
            tops.append(root)
        for el in tops:
            qname = etree.QName(el)
            if qname.namespace not in self.namespaces:
                raise InputError(
                    f"{self.name}: not a model of this metamodel: <{qname.localname}> is in "
                    f"namespace {qname.namespace or '(none)'!r}, which no given .ecore declares."
                )
        for el in tops:
            self._object((<cetree._Element>el)._c_node, None, None)

    cdef int _object(self, tree.xmlNode* c, Node parent, _Meaning via) except -1:
        """One object element and, depth first, the objects it contains."""
        cdef tree.xmlAttr* a = c.properties
        cdef bint plain = True  # xmi:*, xsi:* and foreign namespaces carry no feature values
        cdef str xmi_id = None
        cdef _Plan plan
        while a is not NULL:
            if a.ns is not NULL:
                plain = False
                break
            a = a.next
        if plain and via is not None:
            plan = self._target(via)
        else:
            if via is not None and _attribute(c, b"nil", XSI_NS) == "true":
                return 0
            cls = self._explicit_type(c)
            if cls is not None:
                plan = self._plan(cls)
            elif via is not None:
                plan = self._target(via)
            else:
                plan = self._plan(self._root_class(c))
            xmi_id = _attribute(c, b"id", XMI_NS)
        cdef Node node = self.builder.new_node(
            plan.cls, plan.key, parent, via.name if via is not None else None,
            via.position if via is not None else 0, xmi_id, self.doc, c, None
        )
        if not plan.checked:
            self.builder.check_concrete(node)
            plan.checked = True
        self._attributes(c, node, plan)
        if c.children is not NULL:
            self._children(c, node, plan)
        return 0

    cdef int _attributes(self, tree.xmlNode* c, Node node, _Plan plan) except -1:
        """The values and references written as XML attributes."""
        cdef tree.xmlAttr* a = c.properties
        cdef _Meaning meaning
        cdef str text
        cdef list values
        while a is not NULL:
            if a.ns is not NULL:
                a = a.next
                continue
            meaning = _meaning(plan, a.name)
            if meaning is None:
                raise self._no_feature(node, PyUnicode_FromString(<const char*>a.name), c)
            text = _attr_text(a)
            if meaning.kind == SINGLE:
                node.attributes[meaning.name] = self._value(node, meaning, text, c)
                if meaning.is_id:
                    node.id_text = text
            elif meaning.kind == REF:
                if "#" in text and len(text.split()) > 1:
                    tokens = without_type_hints(text.split(), cetree.elementFactory(self.doc, c))
                    text = " ".join(tokens)
                node.add_ref_text(meaning.name, text)
            elif meaning.kind == MANY:
                values = node.attributes.setdefault(meaning.name, [])
                values.extend([self._value(node, meaning, t, c) for t in text.split()])
            else:
                raise InputError(
                    f"{self.builder.where(self._line(c))}: {node.cls.name}.{meaning.name} is a "
                    "containment; its objects must be nested elements."
                )
            a = a.next
        return 0

    cdef int _children(self, tree.xmlNode* c, Node node, _Plan plan) except -1:
        """The child elements in document order: contained objects (read depth first), and
        values and references written as elements."""
        cdef tree.xmlNode* kid = c.children
        cdef _Meaning meaning
        cdef str text, token
        cdef bint nil
        while kid is not NULL:
            if kid.type != tree.XML_ELEMENT_NODE:  # text, comments, processing instructions
                kid = kid.next
                continue
            if _in_ns(kid, XMI_NS):  # xmi:Extension and the like
                kid = kid.next
                continue
            meaning = _meaning(plan, kid.name)
            if meaning is None:
                raise self._no_feature(node, PyUnicode_FromString(<const char*>kid.name), kid)
            if meaning.kind == CONTAINED:
                self._object(kid, node, meaning)
            elif meaning.kind == REF:
                if _attribute(kid, b"nil", XSI_NS) == "true":  # no target: EMF reads no value
                    kid = kid.next
                    continue
                token = _attribute(kid, b"href", NULL)
                if token is not None:
                    typed = self._explicit_type(kid)  # kept for objects of other documents
                    if typed is not None:
                        token = f"{typed.key} {token}"
                else:
                    token = _attribute(kid, b"idref", XMI_NS)
                if token is None:
                    raise InputError(
                        f"{self.builder.where(self._line(kid))}: <{meaning.name}> names no "
                        "target (href or xmi:idref)."
                    )
                node.token_map().setdefault(meaning.name, []).append(token)
            else:
                nil = _attribute(kid, b"nil", XSI_NS) == "true"
                text = _element_text(kid)
                if meaning.kind == MANY:
                    node.attributes.setdefault(meaning.name, []).append(
                        None if nil else self._value(node, meaning, text, kid)
                    )
                elif not nil:
                    node.attributes[meaning.name] = self._value(node, meaning, text, kid)
                    if meaning.is_id:
                        node.id_text = text
            kid = kid.next
        return 0

    cdef _Plan _target(self, _Meaning via):
        if via.target is None:
            via.target = self._plan(self.metamodel.classes[via.feature.target])
        return via.target

    cdef _Plan _plan(self, cls):
        cdef _Plan plan = self.plans.get(cls.key)
        if plan is not None:
            return plan
        id_name = self.builder.id_name(cls)
        plan = _Plan.__new__(_Plan)
        plan.cls = cls
        plan.key = cls.key
        plan.meanings = {}
        cdef _Meaning meaning
        for position, f in enumerate(cls.features):
            meaning = _Meaning.__new__(_Meaning)
            meaning.position = position
            meaning.name = f.name
            meaning.feature = f
            if isinstance(f, Attribute):
                meaning.kind = MANY if f.many else SINGLE
                meaning.convert = reader(f.type)
                if f.type.kind == "enum":
                    meaning.enum_names = enum_names(f.type)
                meaning.is_id = f.name == id_name
            else:
                meaning.kind = CONTAINED if f.containment else REF
            plan.meanings[f.name] = meaning
        self.plans[cls.key] = plan
        return plan

    cdef object _value(self, Node node, _Meaning meaning, str text, tree.xmlNode* c):
        if meaning.convert is None:
            return text
        if meaning.enum_names is not None:
            name = meaning.enum_names.get(text)
            if name is not None:
                return name
        try:
            if meaning.convert is float:
                return float(text)  # Cython parses it without a call through Python
            return meaning.convert(text)
        except (ValueError, ArithmeticError):
            raise InputError(
                f"{self.builder.where(self._line(c))}: {text!r} is not a valid "
                f"{meaning.feature.type.name} for {node.cls.name}.{meaning.name}."
            ) from None

    cdef object _no_feature(self, Node node, str key, tree.xmlNode* c):
        return InputError(
            f"{self.builder.where(self._line(c))}: class {node.cls.key} has no feature {key!r}."
        )

    cdef object _line(self, tree.xmlNode* c):
        return cetree.elementFactory(self.doc, c).sourceline

    cdef object _root_class(self, tree.xmlNode* c):
        ns = PyUnicode_FromString(<const char*>c.ns.href) if c.ns is not NULL else ""
        return self._class(ns, PyUnicode_FromString(<const char*>c.name), c)

    cdef object _explicit_type(self, tree.xmlNode* c):
        value = _attribute(c, b"type", XSI_NS) or _attribute(c, b"type", XMI_NS)
        if not value:
            return None
        prefix, _, local = value.rpartition(":")
        ns = cetree.elementFactory(self.doc, c).nsmap.get(prefix or None)
        if ns is None:
            raise InputError(
                f"{self.builder.where(self._line(c))}: type {value!r} uses an "
                "undeclared namespace prefix."
            )
        return self._class(ns, local, c)

    cdef object _class(self, str ns, str local, tree.xmlNode* c):
        cls = self.classes.get((ns, local))
        if cls is None:
            raise InputError(
                f"{self.builder.where(self._line(c))}: the metamodel has no class {local!r} "
                f"in package {ns!r}."
            )
        return cls


cdef inline bint _in_ns(tree.xmlNode* c, const char* ns):
    return c.ns is not NULL and strcmp(<const char*>c.ns.href, ns) == 0


cdef str _attribute(tree.xmlNode* c, const char* name, const char* ns):
    """The value of the attribute `name` in namespace `ns` (NULL: none), or None."""
    cdef tree.xmlAttr* a = c.properties
    while a is not NULL:
        if strcmp(<const char*>a.name, name) == 0:
            if ns is NULL:
                if a.ns is NULL:
                    return _attr_text(a)
            elif a.ns is not NULL and strcmp(<const char*>a.ns.href, ns) == 0:
                return _attr_text(a)
        a = a.next
    return None


cdef str _attr_text(tree.xmlAttr* a):
    """An attribute's value: its text children (one, as entities are never expanded)."""
    cdef tree.xmlNode* t = a.children
    if t is NULL:
        return ""
    if t.next is NULL and t.content is not NULL:
        return PyUnicode_FromString(<const char*>t.content)
    parts = []
    while t is not NULL:
        if t.content is not NULL:
            parts.append(PyUnicode_FromString(<const char*>t.content))
        t = t.next
    return "".join(parts)


cdef str _element_text(tree.xmlNode* c):
    """What lxml's `.text` gives: the text and CDATA before the first child element."""
    cdef tree.xmlNode* t = c.children
    parts = []
    while t is not NULL and (
        t.type == tree.XML_TEXT_NODE or t.type == tree.XML_CDATA_SECTION_NODE
    ):
        if t.content is not NULL:
            parts.append(PyUnicode_FromString(<const char*>t.content))
        t = t.next
    return "".join(parts)
