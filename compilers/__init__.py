"""Output formats and importers as plugins, found through the `instancegen.compilers` group.

Built-ins register through the same entry points a third-party package uses (the way `llm`
loads its default plugins), so `compilers.get("xmi")` and a plugin's own format are found
alike. An entry point names an object that is a `Compiler` (has `compile`) or an `Importer`
(has `read`); it is keyed by its `name`.

    from instancegen import compilers
    xmi = compilers.get("xmi").compile(cim, metamodel)
    cim = compilers.get_importer("xmi").read(data, "bank.xmi", metamodel)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol, runtime_checkable

from instancegen.service.core.cim import Cim
from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.plugins import load_plugins

GROUP = "instancegen.compilers"


@runtime_checkable
class Compiler(Protocol):
    """Turns a CIM into bytes of one format."""

    name: str
    media_type: str
    extension: str  # without the dot
    description: str

    def compile(self, cim: Cim, metamodel: Metamodel, **options: Any) -> bytes:
        """The whole document; raises InputError for a model it cannot express."""
        ...


@runtime_checkable
class Importer(Protocol):
    """Reads one format back into a CIM, so existing models can be validated and edited."""

    name: str

    def read(self, data: bytes, name: str, metamodel: Metamodel) -> Cim:
        """The CIM; raises InputError naming `name` and what is wrong."""
        ...


@dataclass(frozen=True)
class _Registry:
    compilers: dict[str, Compiler]
    importers: dict[str, Importer]


@cache
def _registry() -> _Registry:
    comps: dict[str, Compiler] = {}
    imps: dict[str, Importer] = {}
    for name, plugin in load_plugins(GROUP, "compiler plugin"):
        if isinstance(plugin, Compiler):
            comps.setdefault(plugin.name, plugin)
        elif isinstance(plugin, Importer):
            imps.setdefault(plugin.name, plugin)
        else:
            warnings.warn(
                f"instancegen: entry point {name!r} is neither a compiler nor an importer",
                stacklevel=2,
            )
    return _Registry(comps, imps)


def available() -> list[str]:
    """Names of the installed output formats, sorted."""
    return sorted(_registry().compilers)


def importers() -> list[str]:
    """Names of the installed input formats, sorted."""
    return sorted(_registry().importers)


def get(name: str) -> Compiler:
    """The compiler for a format name; an InputError listing the installed ones otherwise."""
    found = _registry().compilers.get(name)
    if found is None:
        raise InputError(_unknown("format", name, available()))
    return found


def get_importer(name: str) -> Importer:
    """The importer for a format name; an InputError listing the installed ones otherwise."""
    found = _registry().importers.get(name)
    if found is None:
        raise InputError(_unknown("input format", name, importers()))
    return found


def _unknown(what: str, name: str, names: list[str]) -> str:
    if not names:
        return (
            f"unknown {what} {name!r}: no plugins are registered "
            "(install the package, e.g. `pip install -e .`, so its entry points exist)."
        )
    return f"unknown {what} {name!r}; available: {', '.join(names)}."


__all__ = ["Compiler", "Importer", "available", "get", "get_importer", "importers"]
