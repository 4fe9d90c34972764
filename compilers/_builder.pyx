# cython: language_level=3
"""Shared back half of the importers: objects read from a document become a CIM.

A reader (XMI, EMF-JSON) adds objects in document order with their container, attribute
values and raw reference tokens. `finish` then gives every object a readable, unique id and
resolves the tokens the way EMF's `Resource.getEObject` does: fragment paths
(`//@a.0/@b.1`, `/1/@x.0` in multi-root documents, `@f[key='v']`), `xmi:id`s, iD attribute
values, and `#…` / `thisfile#…` hrefs into the same document. A target in another document
stays as written (`other.xmi#frag`, after its class key when the document gives the class),
the CIM's form of an external reference. A malformed fragment path is a clear error.

Compiled (Cython) because importing is per-object work on hundreds of thousands of objects:
in CPython the bookkeeping alone cost several times an lxml parse of the same file.
"""

import re

from cpython.object cimport PyObject_GenericSetAttr
from lxml.includes cimport etreepublic as cetree
from lxml.includes cimport tree

from instancegen.compilers._tree import id_attribute
from instancegen.service.core import limits as limits_mod
from instancegen.service.core.cim import Cim, CimObject, shortcut_holds
from instancegen.service.core.errors import InputError

cetree.import_lxml__etree()

cdef extern from "lxml-version.h":
    const char* LXML_VERSION_STRING

# The lxml whose headers this module was compiled against (`compilers.import_core` compares
# it with the installed one before using this module).
BUILT_FOR_LXML = LXML_VERSION_STRING.decode()

cdef extern from "Python.h":
    Py_ssize_t PyUnicode_Tailmatch(object, object, Py_ssize_t, Py_ssize_t, int) except -1
    bint PyUnicode_IS_ASCII(object)
    const char* PyUnicode_DATA(object)
    str PyUnicode_FromStringAndSize(const char*, Py_ssize_t)

cdef extern from *:
    """
    /* A bare instance, as `object.__new__(cls)` makes it, without the call's overhead. */
    static PyObject* instancegen_alloc(PyObject* cls) {
        PyTypeObject* t = (PyTypeObject*)cls;
        return t->tp_alloc(t, 0);
    }
    """
    object instancegen_alloc(object cls)

_NAME_ISH = ("name", "title", "label", "id", "key", "code")
_KEY_SEGMENT = re.compile(r"^@([^.\[]+)\[(.*)\]$")
# A fragment path as EMF reads it: a root (its index with several), then `@feature`,
# `@feature.index` or `@feature[key='value']` segments.
_PATH = re.compile(r"^/[0-9]*(/@[^/.\[]+(\.[0-9]+|\[[^\]]*\])?)*$")
_NON_WORD = re.compile(r"\W+")

cdef set _EVERY_FIELD = set(CimObject.model_fields)


cdef class Node:
    """One object being imported, made by `CimBuilder.add`. Its source line is looked up only
    when an error names it: XMI nodes keep their document (alive) and element instead."""

    @property
    def tokens(self):
        """Reference name -> the targets as written (ids, paths, hrefs), for resolving."""
        return self.token_map()

    cdef dict token_map(self):
        if self._tokens is None:
            self._tokens = {}
        if self._ref_name is not None:
            self._tokens[self._ref_name] = self._ref_text.split()
            self._ref_name = self._ref_text = None
        return self._tokens

    cdef int add_ref_text(self, str name, str text) except -1:
        """A reference's targets as an XML attribute writes them: space-separated."""
        if self._tokens is None and self._ref_name is None:
            self._ref_name, self._ref_text = name, text
        else:
            self.token_map().setdefault(name, []).extend(text.split())
        return 0

    @property
    def line(self):
        if self._doc is not None:
            return cetree.elementFactory(self._doc, self._c_node).sourceline
        return self._line


cdef class CimBuilder:
    """Collects nodes from one document; `finish()` returns the CIM."""

    def __init__(self, str name):
        self.name = name
        self.base = name.replace("\\", "/").rsplit("/", 1)[-1]
        self.nodes = []
        self.roots = []
        self._id_names = {}
        self._refs = {}
        self._concrete = set()  # class keys already found instantiable
        self._in_order = True

    def where(self, line):
        return f"{self.name}: line {line}" if line else self.name

    cdef str where_node(self, Node node):
        return self.where(node.line)

    def add(self, cls, line, Node parent, ref, xmi_id=None):
        """A new object, contained in `parent.ref` (a root when parent is None)."""
        node = self.new_node(
            cls, cls.key, parent, ref.name if ref is not None else None, 0, xmi_id, None, NULL,
            line,
        )
        self._in_order = False  # children come in whatever order the reader found them
        self.check_concrete(node)
        return node

    cdef Node new_node(
        self, object cls, str key, Node parent, str ref_name, int position, str xmi_id,
        cetree._Document doc, tree.xmlNode* c_node, object line
    ):
        """`add` for readers that call `check_concrete` once per class themselves;
        `position` is the containment's index among the parent class's features."""
        cdef Node node = Node.__new__(Node)
        node.cls = cls
        node.key = key
        node._line = line
        node._doc = doc
        node._c_node = c_node
        node.xmi_id = xmi_id
        node.attributes = {}
        node.id = ""
        self.nodes.append(node)
        if parent is None or ref_name is None:
            self.roots.append(node)
        elif parent is self._last_parent and ref_name is self._last_ref:
            self._last_kids.append(node)  # the usual run of siblings in one containment
            return node
        elif parent.children is None:  # made when the first child comes: most objects have none
            parent.children = {ref_name: [node]}
            parent._last_position = position
        else:
            if position < parent._last_position:
                self._in_order = False
            parent._last_position = position
            kids = parent.children.get(ref_name)
            if kids is None:
                parent.children[ref_name] = [node]
            else:
                (<list>kids).append(node)
        if parent is not None:
            self._last_parent, self._last_ref = parent, ref_name
            self._last_kids = parent.children[ref_name]
        return node

    cdef int check_concrete(self, Node node) except -1:
        """Refuse an instance of an abstract class or an interface."""
        if node.key in self._concrete:
            return 0
        cls = node.cls
        if not cls.concrete:
            kind = "an interface" if cls.interface else "abstract"
            raise InputError(
                f"{self.where_node(node)}: class {node.key} is {kind}; it has no instances."
            )
        self._concrete.add(node.key)
        return 0

    def id_name(self, cls):
        """The name of the class's iD attribute (EMF's eIDAttribute), if it has one."""
        key = cls.key
        if key not in self._id_names:
            attr = id_attribute(cls)
            self._id_names[key] = attr.name if attr is not None else None
        return self._id_names[key]

    def set_value(self, Node node, str name, value, text=None):
        node.attributes[name] = value
        if text is not None and self.id_name(node.cls) == name:
            node.id_text = text

    def finish(self):
        limits_mod.current().check(
            "max_objects", len(self.nodes), f"{self.name}: the number of objects"
        )
        if not self._in_order:
            self.nodes = self._document_order()
        self._assign_ids()
        cdef dict by_id = self._id_index()
        cdef list made = []
        cdef Node node
        cdef dict refs, children, tokens
        for node in self.nodes:
            refs = {}
            children = node.children
            if node._ref_name is not None and node._tokens is None and children is None:
                refs[node._ref_name] = [
                    self._target(node, node._ref_name, t, by_id) for t in node._ref_text.split()
                ]
                made.append(_cim_object(node.id, node.key, node.attributes, refs))
                continue
            tokens = node.token_map() if node._ref_name is not None else node._tokens
            if children is None and tokens is not None and len(tokens) == 1:
                for name, given in tokens.items():  # one reference: no feature order to keep
                    refs[name] = [self._target(node, name, t, by_id) for t in given]
            elif children or tokens:
                for f in self._references(node):
                    name = f.name
                    if children is not None and name in children:
                        refs[name] = [(<Node>k).id for k in children[name]]
                    elif tokens is not None and name in tokens:
                        refs[name] = [self._target(node, name, t, by_id) for t in tokens[name]]
            made.append(_cim_object(node.id, node.key, node.attributes, refs))
        return Cim.model_construct(objects=made)

    cdef tuple _references(self, Node node):
        refs = self._refs.get(node.key)
        if refs is None:
            refs = self._refs[node.key] = node.cls.references
        return refs

    cdef list _document_order(self):
        """Parents before children, siblings in feature order: how the document reads."""
        cdef list order = []
        cdef list stack = self.roots[::-1]
        cdef list kids
        cdef Node node
        cdef dict children
        while stack:
            node = stack.pop()
            order.append(node)
            children = node.children
            if not children:
                continue
            if len(children) == 1:
                kids = next(iter(children.values()))[::-1]
            else:
                names = [f.name for f in self._references(node)]
                kids = [k for name in names if name in children for k in children[name]]
                kids.reverse()
            stack += kids
        return order

    cdef _assign_ids(self):
        cdef set used = set()
        cdef dict counters = {}
        cdef dict naming = {}  # per class: id stem, name-ish keys
        cdef Node node
        cdef str wanted, candidate
        cdef Py_ssize_t n, taken
        for node in self.nodes:
            wanted = node.id_text or node.xmi_id
            if wanted and "#" in wanted:  # a CIM target holding `#` names another document
                wanted = wanted.replace("#", "_")
            if not wanted:
                cls = node.cls
                stem, keys = naming.get(node.key) or naming.setdefault(node.key, _naming(cls))
                wanted = _generated(stem, keys, node.attributes)
                if not wanted:
                    n = counters.get(cls.name, 0) + 1
                    counters[cls.name] = n
                    candidate = f"{stem}{n}"
                    while candidate in used:
                        n += 1
                        candidate = f"{cls.name}_{n}"
                    used.add(candidate)
                    node.id = candidate
                    continue
            taken = len(used)
            used.add(wanted)
            if len(used) > taken:  # the usual case: one lookup
                node.id = wanted
                continue
            candidate, n = wanted, 1
            while candidate in used:
                n += 1
                candidate = f"{wanted}_{n}"
            used.add(candidate)
            node.id = candidate

    cdef dict _id_index(self):
        cdef dict index = {}
        cdef Node node
        for node in self.nodes:
            if node.xmi_id is not None:
                index.setdefault(node.xmi_id, node)
        for node in self.nodes:  # EMF looks at xmi:ids first, then iD attribute values
            if node.id_text is not None:
                index.setdefault(node.id_text, node)
        return index

    cdef str _target(self, Node node, str feature, str token, dict by_id):
        """The CIM target a token names: an object's id, or the token itself (without a
        type hint's prefix) for an object in another document."""
        cdef Node target
        if token.startswith("/") and "#" not in token:  # a fragment path, as EMF writes them
            target = self._by_path(token)
            if target is not None:
                return target.id
        target = by_id.get(token)  # the usual case: an xmi:id or iD value, no `#`, no path
        if target is not None and "#" not in token and not token.startswith("/"):
            return target.id
        cls, _, uri = token.rpartition(" ")
        doc, hash_, frag = uri.rpartition("#")
        if hash_ and doc and doc.replace("\\", "/").rsplit("/", 1)[-1] != self.base:
            if not frag:
                raise InputError(
                    f"{self.where_node(node)}: {node.cls.name}.{feature} refers to {token!r}, "
                    "which names a document but no object in it."
                )
            return token
        if frag.startswith("/"):
            target = self._by_path(frag)
        else:
            target = by_id.get(frag)
        if target is None:
            if frag.startswith("/") and not _PATH.match(frag):
                raise InputError(
                    f"{self.where_node(node)}: {node.cls.name}.{feature} refers to {token!r}, "
                    "which is no fragment path EMF can read (`//@feature.index/@feature…`, "
                    "`/1/@feature.index` with several roots)."
                )
            raise InputError(
                f"{self.where_node(node)}: {node.cls.name}.{feature} refers to {token!r}, "
                "which is not in the document."
            )
        return target.id

    cdef Node _by_path(self, str frag):
        """The object at a fragment path (`//@a.0/@b`, `/1/@x.0`), one segment at a time."""
        cdef Py_ssize_t n = len(frag), i = 1, start
        cdef Node current
        while i < n and frag[i] != "/":  # the root segment: empty or a root's index
            i += 1
        if i == 1:
            if not self.roots:
                return None
            current = self.roots[0]
        else:
            root_seg = frag[1:i]
            if not (root_seg.isdigit() and int(root_seg) < len(self.roots)):
                return None
            current = self.roots[int(root_seg)]
        while i < n:  # at the `/` before a segment
            start = i + 1
            i = start
            while i < n and frag[i] != "/":
                i += 1
            current = self._step(current, frag, start, i)
            if current is None:
                return None
        return current

    cdef Node _step(self, Node node, str frag, Py_ssize_t start, Py_ssize_t end):
        """The child that the segment `frag[start:end]` names: `@f`, `@f.2` or `@f[key='v']`."""
        cdef Py_ssize_t i = start + 1, j, digit, index = 0
        cdef list kids
        if end - start < 2 or frag[start] != "@" or node.children is None:
            return None
        while i < end and frag[i] != "." and frag[i] != "[":
            i += 1
        if i < end and frag[i] == "[":
            return _keyed(node, frag[start:end])
        name = self._segment_name
        if not (
            name is not None
            and len(name) == i - start - 1
            and PyUnicode_Tailmatch(frag, name, start + 1, i, -1)
        ):  # most paths in a row name the same feature: no new string for it then
            name = self._segment_name = frag[start + 1:i]
        kids = node.children.get(name)
        if kids is None:
            return None
        if i + 1 < end:  # `.index`: digits only, else the path is malformed
            for j in range(i + 1, end):
                digit = <Py_ssize_t><Py_UCS4>frag[j] - 48
                if digit < 0 or digit > 9:
                    return None
                index = index * 10 + digit
        elif i < end:
            return None  # `@feature.` with no index
        return kids[index] if index < len(kids) else None


cdef Node _keyed(Node node, str seg):
    """The child a segment such as `@f[name='x',kind='y']` names."""
    keyed = _KEY_SEGMENT.match(seg)
    if not keyed:
        return None
    name, cond = keyed.groups()
    pairs = re.findall(r"(\w+)='((?:[^']|'')*)'", cond)
    for kid in node.children.get(name, []):
        if all(str((<Node>kid).attributes.get(k)) == v.replace("''", "'") for k, v in pairs):
            return kid
    return None


cdef object _cim_object(str oid, str class_, dict attributes, dict references):
    """A CimObject from values an importer has already checked: what
    `service.core.cim.trusted_object` does (the attributes `model_construct` sets), without a
    Python call per object. The set of given fields is shared by all; that is safe because
    it holds every field, so pydantic's additions on assignment never change it."""
    obj = instancegen_alloc(CimObject)
    PyObject_GenericSetAttr(
        obj,
        "__dict__",
        {"id": oid, "class_": class_, "attributes": attributes, "references": references},
    )
    PyObject_GenericSetAttr(obj, "__pydantic_fields_set__", _EVERY_FIELD)
    PyObject_GenericSetAttr(obj, "__pydantic_extra__", None)
    PyObject_GenericSetAttr(obj, "__pydantic_private__", None)
    return obj


def _make(oid, class_, attributes, references):
    return _cim_object(oid, class_, attributes, references)


if not shortcut_holds(_make):  # another pydantic: `compilers.import_core` takes the plain path
    raise ImportError("the compiled importer's CimObject shortcut does not hold on this pydantic")


cdef tuple _naming(cls):
    """A class's id stem (`person` for Person) and its name-ish attributes, in preference order."""
    names = {f.name for f in cls.attributes}
    return f"{cls.name[:1].lower()}{cls.name[1:]}", tuple(k for k in _NAME_ISH if k in names)


cdef str _generated(str stem, tuple keys, dict attributes):
    """`person_alice` for a Person named "Alice"; empty when no name-ish value exists."""
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, str):
            slug = _slug((<str>value).lower())
            if slug:
                return f"{stem}_{slug}"
    return ""


cdef str _slug(str text):
    """Runs of non-word characters as one `_`, none at the ends, at most 40 characters."""
    ascii = _ascii_slug(text)
    if ascii is not None:
        return ascii
    cdef list words = text.split()
    for word in words:
        if not (<str>word).isalnum():  # the usual case does without the regular expression
            return _NON_WORD.sub("_", text).strip("_")[:40]
    return "_".join(words)[:40]


cdef str _ascii_slug(str text):
    """`_slug` of ASCII letters, digits and whitespace in one pass (None for other text):
    the words, lowercased, joined by `_`, at most 40 characters."""
    if not PyUnicode_IS_ASCII(text):
        return None
    cdef const char* data = PyUnicode_DATA(text)
    cdef char out[40]
    cdef Py_ssize_t i, n = 0
    cdef char ch
    cdef bint gap = False
    for i in range(len(text)):
        ch = data[i]
        if b"a" <= ch <= b"z" or b"0" <= ch <= b"9" or b"A" <= ch <= b"Z":
            if gap and n and n < 40:
                out[n] = b"_"
                n += 1
            gap = False
            if n < 40:
                out[n] = ch + 32 if b"A" <= ch <= b"Z" else ch
                n += 1
        elif ch == b" " or b"\t" <= ch <= b"\r" or b"\x1c" <= ch <= b"\x1f":  # as str.split
            gap = True
        else:
            return None
    return PyUnicode_FromStringAndSize(out, n)
