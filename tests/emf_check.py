"""The tests' name for the packaged EMF judge (`service.emf_judge`)."""

from service.emf_judge import (
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
