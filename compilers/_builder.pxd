# The importers' shared back half, declared for `compilers._xmi_reader` (cimport).
from lxml.includes cimport etreepublic as cetree
from lxml.includes cimport tree


cimport cython


@cython.no_gc  # holds no cycles (children never point back), so skip the collector's bookkeeping
cdef class Node:
    cdef public object cls
    cdef str key
    cdef object _line
    cdef cetree._Document _doc
    cdef tree.xmlNode* _c_node
    cdef str xmi_id
    cdef str id_text
    cdef public dict attributes
    cdef dict children
    cdef dict _tokens  # reference name -> target tokens as written; None until one comes
    # Most objects have one reference, written as an XML attribute: its name and unsplit value
    # are kept here until a second comes (then all move to `_tokens`).
    cdef str _ref_name
    cdef str _ref_text
    cdef int _last_position  # feature position of the last child added
    cdef str id

    cdef dict token_map(self)
    cdef int add_ref_text(self, str name, str text) except -1


cdef class CimBuilder:
    cdef str name
    cdef str base
    cdef list nodes
    cdef list roots
    cdef dict _id_names
    cdef dict _refs
    cdef set _concrete
    cdef bint _in_order  # every child came in feature order: reading order is document order
    # The containment list the last child went into, as its next sibling usually goes there too
    cdef Node _last_parent
    cdef str _last_ref
    cdef list _last_kids
    cdef str _segment_name  # the feature name of the last fragment path segment resolved

    cdef Node new_node(
        self, object cls, str key, Node parent, str ref_name, int position, str xmi_id,
        cetree._Document doc, tree.xmlNode* c_node, object line
    )
    cdef int check_concrete(self, Node node) except -1
    cdef str where_node(self, Node node)
    cdef tuple _references(self, Node node)
    cdef list _document_order(self)
    cdef _assign_ids(self)
    cdef dict _id_index(self)
    cdef str _target(self, Node node, str feature, str token, dict by_id)
    cdef Node _by_path(self, str frag)
    cdef Node _step(self, Node node, str frag, Py_ssize_t start, Py_ssize_t end)
