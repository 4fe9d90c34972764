"""Which back half the importers run: the compiled accelerator, or the plain Python path.

`compilers/_builder.pyx` and `compilers/_xmi_reader.pyx` are compiled against lxml's C API
and headers, so they are used only when they were built (an sdist installs without a C
compiler) and built against the lxml that is installed now (its structs may differ in another
version). Otherwise `compilers.import_builder` and `compilers.xmi_walk` do the same work in
plain Python, more slowly. `INSTANCEGEN_PURE_PYTHON=1` chooses the plain path on purpose.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, cast

from lxml import etree

from instancegen.compilers import import_builder, xmi_walk
from instancegen.service.core.metamodel import Metamodel

ReadXmi = Callable[[etree._Element, Metamodel, str, Any], None]


def _choose() -> tuple[type[import_builder.CimBuilder], ReadXmi, str | None]:
    """The builder class and XMI walk to use, and why the plain ones (None: accelerated)."""
    plain = import_builder.CimBuilder, xmi_walk.read_xmi
    if os.environ.get("INSTANCEGEN_PURE_PYTHON", "") not in ("", "0"):
        return (*plain, "INSTANCEGEN_PURE_PYTHON is set")
    try:
        from instancegen.compilers import _builder, _xmi_reader
    except ImportError as exc:
        return (*plain, f"the compiled importer is not available ({exc})")
    built, running = _builder.BUILT_FOR_LXML, etree.__version__
    if built != running:
        return (*plain, f"the compiled importer was built for lxml {built}, not {running}")
    return cast(Any, _builder.CimBuilder), cast(ReadXmi, _xmi_reader.read_xmi), None


CimBuilder, read_xmi, plain_reason = _choose()
ACCELERATED = plain_reason is None

__all__ = ["ACCELERATED", "CimBuilder", "plain_reason", "read_xmi"]
