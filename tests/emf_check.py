"""The tests' name for the packaged EMF judge (`eval.emf_judge`)."""

from instancegen.service.eval.emf_judge import (
    EmfHarnessError,
    EmfModelResult,
    assert_emf_valid,
    emf_available,
    emf_check,
    find_jars,
)

__all__ = [
    "EmfHarnessError",
    "EmfModelResult",
    "assert_emf_valid",
    "emf_available",
    "emf_check",
    "find_jars",
]
