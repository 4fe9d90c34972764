"""The `cim` format: the conceptual instance model itself, pretty and stable for diffs."""

from __future__ import annotations

import json
from typing import Any

from instancegen.service.core.cim import Cim
from instancegen.service.core.json_text import utf8_json
from instancegen.service.core.metamodel import Metamodel


class CimCompiler:
    """Writes the CIM as DESIGN.md spells it (`class`, not `class_`), indented, key order kept."""

    name = "cim"
    media_type = "application/json"
    extension = "json"
    description = "the conceptual instance model (CIM) as JSON"

    def compile(self, cim: Cim, metamodel: Metamodel, **options: Any) -> bytes:
        text = json.dumps(cim.to_json(), indent=2, ensure_ascii=False)
        return utf8_json(text + "\n")


compiler = CimCompiler()
