"""The conceptual instance model (CIM): the small typed JSON an LLM fills (DESIGN.md, normative).

This is the generic, metamodel-independent shape; `service.schema` derives the per-class typed
variant. Parsing errors name the offending field in one sentence, never a pydantic dump.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from service import limits as limits_mod
from service.errors import InputError
from service.gc_pause import gc_paused

Scalar = str | int | float | bool | None
Value = Scalar | list[Scalar]


class CimObject(BaseModel):
    """One object: its id, concrete class, attribute values and reference targets (ids)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str
    class_: str = Field(alias="class")
    attributes: dict[str, Value] = Field(default_factory=dict)
    references: dict[str, list[str]] = Field(default_factory=dict)


class Cim(BaseModel):
    """A whole instance model: a flat list of objects; containment is a reference."""

    model_config = ConfigDict(extra="forbid")

    objects: list[CimObject] = Field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The CIM exactly as DESIGN.md spells it (`class`, not `class_`)."""
        return self.model_dump(by_alias=True)


def parse_cim(data: bytes | str | dict[str, Any], name: str = "model") -> Cim:
    """Parse a CIM from JSON text or a decoded object; errors name the wrong field."""
    if isinstance(data, bytes | str):
        limits_mod.current().check("max_xml_bytes", len(data), f"{name}: the document size")
        try:
            with gc_paused():
                data = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{name}: not valid JSON ({exc}).") from None
    if not isinstance(data, dict):
        raise InputError(f'{name}: a model must be a JSON object with an "objects" list.')
    objects = data.get("objects")
    if isinstance(objects, list):
        limits_mod.current().check("max_objects", len(objects), f"{name}: the number of objects")
    try:
        with gc_paused():  # pydantic's own validation is fast; the collector was not
            return Cim.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{name}: {describe_validation_error(exc)}") from None


def describe_validation_error(exc: ValidationError) -> str:
    """The first pydantic error as one sentence naming the field path (`objects[3].class`)."""
    err = exc.errors()[0]
    path = ""
    for part in err["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    more = f" ({exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
    return f"{path or 'the document'}: {err['msg']}{more}."
