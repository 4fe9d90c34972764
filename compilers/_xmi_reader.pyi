"""Types of the compiled `compilers/_xmi_reader.pyx`, for mypy."""

from lxml import etree

from instancegen.compilers._builder import CimBuilder
from instancegen.service.core.metamodel import Metamodel

def read_xmi(
    root: etree._Element, metamodel: Metamodel, name: str, builder: CimBuilder
) -> None: ...
