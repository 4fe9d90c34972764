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

Every name is imported on first use, so `import instancegen` (which any
`from instancegen.service... import ...` runs first) costs nothing: a process that only
compiles never loads the LLM stack, the OCL parser or the assignment solver.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from instancegen.service.core.cim import Cim, CimObject, parse_cim
    from instancegen.service.core.ecore_loader import load_metamodel
    from instancegen.service.core.edits import apply_edits
    from instancegen.service.core.errors import BackendError, InputError, LimitExceeded
    from instancegen.service.core.issues import Issue
    from instancegen.service.core.metamodel import Metamodel
    from instancegen.service.core.validator import validate
    from instancegen.service.eval.scoring import Score, score
    from instancegen.service.generation import generate
    from instancegen.service.generation.editing import edit
    from instancegen.service.generation.emfatic import render_metamodel
    from instancegen.service.generation.schema import conceptual_schema
    from instancegen.service.resources.model_io import read_model_file
    from instancegen.service.resources.pyecore_interop import from_pyecore, to_pyecore

__version__ = "0.1.0"

_HOME = {  # public name -> the module that defines it
    "BackendError": "service.core.errors",
    "Cim": "service.core.cim",
    "CimObject": "service.core.cim",
    "InputError": "service.core.errors",
    "Issue": "service.core.issues",
    "LimitExceeded": "service.core.errors",
    "Metamodel": "service.core.metamodel",
    "Score": "service.eval.scoring",
    "apply_edits": "service.core.edits",
    "conceptual_schema": "service.generation.schema",
    "edit": "service.generation.editing",
    "from_pyecore": "service.resources.pyecore_interop",
    "generate": "service.generation",
    "load_metamodel": "service.core.ecore_loader",
    "parse_cim": "service.core.cim",
    "read_model_file": "service.resources.model_io",
    "render_metamodel": "service.generation.emfatic",
    "score": "service.eval.scoring",
    "to_pyecore": "service.resources.pyecore_interop",
    "validate": "service.core.validator",
}


def compile_model(cim: Cim, metamodel: Metamodel, format: str = "xmi", **options: Any) -> bytes:
    """The model in an output format (`xmi`, `json`, `cim`, `dot`, `svg` or a plugin's)."""
    from instancegen import compilers

    return compilers.get(format).compile(cim, metamodel, **options)


def import_model(data: bytes | str, metamodel: Metamodel, name: str = "model") -> Cim:
    """A model read from XMI, EMF-JSON or CIM JSON (told apart by content) into a CIM."""
    from instancegen.service.resources.model_io import read_model

    raw = data.encode() if isinstance(data, str) else data
    return read_model(raw, name, metamodel)


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use and kept here."""
    if name == "compilers":
        return import_module("instancegen.compilers")
    if name not in _HOME:
        raise AttributeError(f"module 'instancegen' has no attribute {name!r}")
    value = getattr(import_module(f"instancegen.{_HOME[name]}"), name)
    globals()[name] = value
    return value


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
