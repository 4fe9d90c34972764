"""The conceptual instance model (CIM): the small typed JSON an LLM fills (DESIGN.md, normative).

This is the generic, metamodel-independent shape; `generation.schema` derives the per-class typed
variant. Parsing errors name the offending field in one sentence, never a pydantic dump.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from instancegen.service.core import limits as limits_mod
from instancegen.service.core.errors import InputError
from instancegen.service.core.gc_pause import gc_paused
from instancegen.service.core.json_text import surrogate_problem

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


# Every field counts as given. One set shared by all trusted objects: safe because it holds
# every field, so pydantic's additions on assignment never change it.
_EVERY_FIELD = set(CimObject.model_fields)
_new, _set = object.__new__, object.__setattr__


def _constructed(
    oid: str, class_: str, attributes: dict[str, Value], references: dict[str, list[str]]
) -> CimObject:
    """pydantic's public way to make a model from values already checked."""
    return CimObject.model_construct(
        _fields_set=_EVERY_FIELD,
        id=oid,
        class_=class_,
        attributes=attributes,
        references=references,
    )


def _shortcut(
    oid: str, class_: str, attributes: dict[str, Value], references: dict[str, list[str]]
) -> CimObject:
    """What `model_construct` does at a fraction of its cost: it sets the same documented
    instance attributes, without the per-call keyword handling."""
    obj = _new(CimObject)
    _set(
        obj,
        "__dict__",
        {"id": oid, "class_": class_, "attributes": attributes, "references": references},
    )
    _set(obj, "__pydantic_fields_set__", _EVERY_FIELD)
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


def shortcut_holds(
    make: Callable[[str, str, dict[str, Value], dict[str, list[str]]], CimObject],
) -> bool:
    """True when `make` builds what `model_construct` builds on the installed pydantic (the
    compiled importer asks this of its own shortcut too)."""
    args: tuple[str, str, dict[str, Value], dict[str, list[str]]] = (
        "a",
        "A",
        {"x": [1, None]},
        {"r": ["b"]},
    )
    try:
        fast, slow = make(*args), _constructed(*args)
        return (
            fast == slow
            and fast.model_dump(by_alias=True) == slow.model_dump(by_alias=True)
            and fast.model_fields_set == slow.model_fields_set
            and fast.model_copy(update={"id": "c"}).id == "c"
            and Cim.model_construct(objects=[fast]).to_json()
            == {"objects": [slow.model_dump(by_alias=True)]}
        )
    except Exception:
        return False


# A CimObject from values an importer has already checked (no validation): the shortcut where
# it holds on the installed pydantic, `model_construct` otherwise.
trusted_object = _shortcut if shortcut_holds(_shortcut) else _constructed


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
    message = err["msg"]
    if err["type"] == "string_unicode" and isinstance(err.get("input"), str):
        # pydantic's own words name no character; a lone surrogate is what it refused.
        message = surrogate_problem(err["input"]) or message
    return f"{path or 'the document'}: {message}{more}."
