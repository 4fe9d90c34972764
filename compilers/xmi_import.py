"""Read XMI (as Eclipse EMF and other EMF-based tools write it) back into a CIM.

Every document goes through the hardened parser (`service.core.xmlsafe`), so DTDs, entities and
oversized input are refused before anything here runs. Understood: single roots and
`xmi:XMI` wrappers, `xsi:type`/`xmi:type`, attributes in attribute or element form
(many-valued ones space-separated or repeated), `xsi:nil`, references as fragment paths,
`xmi:id`s, iD attribute values and same-document `href`s. For a metamodel EMF imported from
an XML Schema, XMI written with extended metadata is read by `compilers.xml_import` (plain XMI
still works). The walk over the elements and the
CIM building run compiled where the accelerator is built, in plain Python otherwise
(`compilers.import_core`).
"""

from __future__ import annotations

from lxml import etree

from instancegen.compilers.import_core import CimBuilder, read_xmi
from instancegen.compilers.xml_import import read_document
from instancegen.service.core.cim import Cim
from instancegen.service.core.errors import InputError
from instancegen.service.core.gc_pause import gc_paused
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.xmlsafe import parse_xml


class XmiImporter:
    """The `xmi` input format."""

    name = "xmi"

    def read(self, data: bytes, name: str, metamodel: Metamodel) -> Cim:
        root = parse_xml(data, name).getroot()
        if metamodel.xml is not None:  # XSD-derived: XMI with extended metadata, else plain
            try:
                return read_document(root, metamodel, name)
            except InputError as first:
                try:
                    return self._plain(root, name, metamodel)
                except InputError:
                    raise first from None
        return self._plain(root, name, metamodel)

    def _plain(self, root: etree._Element, name: str, metamodel: Metamodel) -> Cim:
        builder = CimBuilder(name)
        with gc_paused():
            read_xmi(root, metamodel, name, builder)
            return builder.finish()


importer = XmiImporter()
