"""The one hardened XML parser every document we read goes through.

No DTDs, no entities, no network, bounded size (and libxml2's own depth cap of 256 levels,
kept by leaving huge_tree off): a metamodel or model from an untrusted tool must not make us
read local files (XXE), fetch URLs or blow up (billion laughs). A document with a DOCTYPE is
refused outright, so no entity can be declared, let alone expanded.
"""

from __future__ import annotations

import re

from lxml import etree

from instancegen.service.core import limits as limits_mod
from instancegen.service.core.errors import InputError

_DOCTYPE_MARKERS = tuple(
    "<!DOCTYPE".encode(encoding) for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def xml_bytes(text: str, name: str) -> bytes:
    """A document given as text (an upload in a JSON body) as UTF-8 bytes for `parse_xml`;
    one holding a lone surrogate, which JSON can carry but UTF-8 cannot, is an InputError
    naming where."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(
            f"{name}: character {exc.start + 1} is a lone surrogate "
            f"(U+{ord(text[exc.start]):04X}), which a UTF-8 document cannot hold."
        ) from None


def parse_xml(data: bytes, name: str) -> etree._ElementTree:
    """Parse untrusted bytes; any problem is an InputError naming `name` and the problem."""
    lim = limits_mod.current()
    lim.check("max_xml_bytes", len(data), f"{name}: the document size in bytes")
    if not data.strip():
        raise InputError(f"{name}: the file is empty.")
    if any(marker in data for marker in _DOCTYPE_MARKERS):
        raise InputError(f"{name}: DOCTYPE declarations (DTDs, entities) are not accepted.")
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        if "Excessive depth" in str(exc):
            raise InputError(f"{name}: elements are nested deeper than 256 levels.") from None
        raise InputError(f"{name}: not well-formed XML ({_syntax_message(exc)}).") from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise InputError(f"{name}: DOCTYPE declarations (DTDs, entities) are not accepted.")
    return tree


def _syntax_message(exc: etree.XMLSyntaxError) -> str:
    msg = re.sub(r"(, line \d+)?, column \d+$", "", str(exc.msg or exc).strip())
    line = getattr(exc, "lineno", None)
    return f"line {line}: {msg}" if line else msg
