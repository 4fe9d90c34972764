"""instancegen's Python API: one stable name for scripts next to Eclipse tooling.

The code lives in `service` (metamodels, validation, generation, scoring) and `compilers`
(output formats and importers); this module re-exports what a script needs. The CLI and the
HTTP API are thin layers over the same functions.

    import instancegen

    mm = instancegen.load_metamodel(["bank.ecore"])
    result = instancegen.generate(mm, "A bank with two accounts owned by Alice.")
    issues = instancegen.validate(mm, result.cim)
    xmi = instancegen.compile_model(result.cim, mm, "xmi")
    again = instancegen.import_model(xmi, mm, "bank.xmi")
    print(instancegen.score(mm, result.cim, again).to_json())

`generate`, `edit` and `score` import their heavier dependencies (the LLM stack, the assignment
solver) on first use, so `import instancegen` stays quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import compilers
from service.cim import Cim, CimObject, parse_cim
from service.ecore_loader import load_metamodel
from service.edits import apply_edits
from service.emfatic import render_metamodel
from service.errors import BackendError, InputError, LimitExceeded
from service.issues import Issue
from service.metamodel import Metamodel
from service.model_io import read_model as _read_model
from service.model_io import read_model_file
from service.pyecore_interop import from_pyecore, to_pyecore
from service.schema import conceptual_schema
from service.validator import validate

if TYPE_CHECKING:
    from service.editing import edit
    from service.generation import generate
    from service.scoring import Score, score

__version__ = "0.1.0"


def compile_model(cim: Cim, metamodel: Metamodel, format: str = "xmi", **options: Any) -> bytes:
    """The model in an output format (`xmi`, `json`, `cim`, `dot`, `svg` or a plugin's)."""
    return compilers.get(format).compile(cim, metamodel, **options)


def import_model(data: bytes | str, metamodel: Metamodel, name: str = "model") -> Cim:
    """A model read from XMI, EMF-JSON or CIM JSON (told apart by content) into a CIM."""
    raw = data.encode() if isinstance(data, str) else data
    return _read_model(raw, name, metamodel)


def __getattr__(name: str) -> Any:
    """`generate`, `edit` and `score` are imported on first use (see the module docstring)."""
    if name == "generate":
        from service.generation import generate

        return generate
    if name == "edit":
        from service.editing import edit

        return edit
    if name in ("score", "Score"):
        from service import scoring

        return getattr(scoring, name)
    raise AttributeError(f"module 'instancegen' has no attribute {name!r}")


__all__ = [
    "BackendError",
    "Cim",
    "CimObject",
    "InputError",
    "Issue",
    "LimitExceeded",
    "Metamodel",
    "Score",
    "apply_edits",
    "compile_model",
    "conceptual_schema",
    "edit",
    "from_pyecore",
    "generate",
    "import_model",
    "load_metamodel",
    "parse_cim",
    "read_model_file",
    "render_metamodel",
    "score",
    "to_pyecore",
    "validate",
]
