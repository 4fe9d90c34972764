"""`import instancegen` gives scripts the whole public API under one name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import instancegen

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "metamodels" / "bank"


def test_every_exported_name_exists() -> None:
    missing = [name for name in instancegen.__all__ if not hasattr(instancegen, name)]
    assert missing == []


def test_a_script_round_trips_the_bank_through_the_api() -> None:
    mm = instancegen.load_metamodel([BANK / "bank.ecore"])
    cim = instancegen.read_model_file(BANK / "reference.json", mm)
    issues = instancegen.validate(mm, cim)  # the spec's IBANs (DE01, …) fail their checksum
    assert {(i.code, i.severity, i.feature) for i in issues} == {("unrealistic", "warning", "iban")}
    xmi = instancegen.compile_model(cim, mm, "xmi")
    assert xmi.startswith(b"<?xml")
    again = instancegen.import_model(xmi, mm, "bank.xmi")
    assert instancegen.compile_model(again, mm, "xmi") == xmi
    f1 = instancegen.score(mm, cim, again).to_json()
    assert f1["objects"]["f1"] == f1["references"]["f1"] == 1.0
    assert instancegen.import_model(instancegen.compile_model(cim, mm, "json"), mm).objects


def test_importing_it_does_not_load_the_llm_stack() -> None:
    code = "import sys, instancegen; print('litellm' in sys.modules, 'scipy' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert out.split() == ["False", "False"]


def test_loading_and_validating_loads_neither_generation_nor_the_ocl_parser() -> None:
    """`instancegen compile` pays for what it uses: the package's names are imported on first
    use, and lark only for a metamodel with invariants."""
    code = (
        "import sys\n"
        "from instancegen.service.core.ecore_loader import load_metamodel\n"
        "from instancegen.service.core.validator import validate\n"
        "from instancegen import compilers\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'lark', 'litellm'}),"
        " 'instancegen.service.generation' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert out.split() == ["[]", "False"]
