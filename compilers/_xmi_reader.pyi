"""Types of the compiled `compilers/_xmi_reader.pyx`, for mypy."""

from lxml import etree
from service.metamodel import Metamodel

from compilers._builder import CimBuilder

def read_xmi(
    root: etree._Element, metamodel: Metamodel, name: str, builder: CimBuilder
) -> None: ...
