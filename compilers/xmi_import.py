"""Read XMI (as Eclipse EMF and other EMF-based tools write it) back into a CIM.

Every document goes through the hardened parser (`service.core.xmlsafe`), so DTDs, entities and
oversized input are refused before anything here runs. Understood: single roots and
`xmi:XMI` wrappers, `xsi:type`/`xmi:type`, attributes in attribute or element form
(many-valued ones space-separated or repeated), `xsi:nil`, references as fragment paths,
`xmi:id`s, iD attribute values and same-document `href`s. The walk over the elements and the
CIM building run compiled where the accelerator is built, in plain Python otherwise
(`compilers.import_core`).
"""

from __future__ import annotations

from instancegen.compilers.import_core import CimBuilder, read_xmi
from instancegen.service.core.cim import Cim
from instancegen.service.core.gc_pause import gc_paused
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.xmlsafe import parse_xml


class XmiImporter:
    """The `xmi` input format."""

    name = "xmi"

    def read(self, data: bytes, name: str, metamodel: Metamodel) -> Cim:
        root = parse_xml(data, name).getroot()
        builder = CimBuilder(name)
        with gc_paused():
            read_xmi(root, metamodel, name, builder)
            return builder.finish()


importer = XmiImporter()
