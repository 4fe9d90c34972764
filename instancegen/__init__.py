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

from instancegen import compilers
from instancegen.service.core.cim import Cim, CimObject, parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.edits import apply_edits
from instancegen.service.core.errors import BackendError, InputError, LimitExceeded
from instancegen.service.core.issues import Issue
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.validator import validate
from instancegen.service.generation.emfatic import render_metamodel
from instancegen.service.generation.schema import conceptual_schema
from instancegen.service.resources.model_io import read_model as _read_model
from instancegen.service.resources.model_io import read_model_file
from instancegen.service.resources.pyecore_interop import from_pyecore, to_pyecore

if TYPE_CHECKING:
    from instancegen.service.app.run import edit, generate
    from instancegen.service.eval.scoring import Score, score

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
        from instancegen.service.app.run import generate

        return generate
    if name == "edit":
        from instancegen.service.app.run import edit

        return edit
    if name in ("score", "Score"):
        from instancegen.service.eval import scoring

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
