"""Read an instance model from bytes, whatever its format, into a CIM.

The CLI's `validate`, `compile` and `score` and the HTTP API all accept CIM JSON, XMI and
EMF-JSON; this is the one place that tells them apart (by content, not by file extension):
XML is XMI, a JSON object with `objects` is a CIM, other JSON (`eClass`, or a list of roots)
is EMF-JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from instancegen import compilers
from instancegen.service.core import limits as limits_mod
from instancegen.service.core.cim import Cim, parse_cim
from instancegen.service.core.errors import InputError
from instancegen.service.core.gc_pause import gc_paused
from instancegen.service.core.input_files import read_input
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.resources.neighbours import resolve_beside


def read_model_file(path: Path, metamodel: Metamodel) -> Cim:
    """Read a model file (CIM `.json` or `.xmi`), naming the file in any error; its references
    into documents beside it resolved (`neighbours.resolve_beside`)."""
    data = read_input(Path(path), what="a model file")
    return resolve_beside(read_model(data, str(path), metamodel), metamodel, Path(path), read_model)


def read_model(data: bytes, name: str, metamodel: Metamodel) -> Cim:
    """Decode `data` as a CIM, XMI or EMF-JSON, whichever it is."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"<":
        return compilers.get_importer("xmi").read(data, name, metamodel)
    limits_mod.current().check("max_xml_bytes", len(data), f"{name}: the document size")
    try:
        with gc_paused():  # a large model is a million small containers: see gc_pause
            doc: Any = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{name}: neither XML nor valid JSON ({exc}).") from None
    if isinstance(doc, list) or (
        isinstance(doc, dict) and "eClass" in doc and "objects" not in doc
    ):
        return compilers.get_importer("json").read(data, name, metamodel)
    return parse_cim(doc, name)
