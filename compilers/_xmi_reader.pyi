"""Types of the compiled `compilers/_xmi_reader.pyx`, for mypy."""

from lxml import etree

from compilers._builder import CimBuilder
from service.metamodel import Metamodel

def read_xmi(
    root: etree._Element, metamodel: Metamodel, name: str, builder: CimBuilder
) -> None: ...
