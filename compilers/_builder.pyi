"""Types of the compiled `compilers/_builder.pyx`, for mypy."""

from instancegen.service.core.cim import Cim, Value
from instancegen.service.core.metamodel import EClassView, Reference

BUILT_FOR_LXML: str

class Node:
    cls: EClassView
    attributes: dict[str, Value]
    @property
    def tokens(self) -> dict[str, list[str]]: ...
    @property
    def line(self) -> int | None: ...

class CimBuilder:
    def __init__(self, name: str) -> None: ...
    def where(self, line: int | None) -> str: ...
    def add(
        self,
        cls: EClassView,
        line: int | None,
        parent: Node | None,
        ref: Reference | None,
        xmi_id: str | None = None,
    ) -> Node: ...
    def id_name(self, cls: EClassView) -> str | None: ...
    def set_value(self, node: Node, name: str, value: Value, text: str | None = None) -> None: ...
    def finish(self) -> Cim: ...
