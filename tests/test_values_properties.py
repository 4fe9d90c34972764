"""One truth for values: whatever the validator passes, every compiler writes, Eclipse EMF
loads without complaint, and the importers read back as the same model (score 1.0).

The CIMs are `candidate_cims`: valid ones spoiled the way producers spoil them (odd dates,
iD-ish strings with `/ # ? ..` and spaces, text XML cannot hold, repeats in unique lists,
required attributes with defaults left out) over random metamodels with EObject-typed
references. What the validator refuses is dropped; everything else must hold up.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from strategies import candidate_cims, metamodels

from instancegen import compilers
from instancegen.service.core.cim import Cim
from instancegen.service.core.issues import has_errors
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.validator import validate
from instancegen.service.eval.scoring import score

FORMATS = ("xmi", "json", "cim", "dot")


def _same(mm: Metamodel, a: Cim, b: Cim) -> None:
    graded = score(mm, a, b)
    assert (graded.objects.f1, graded.attributes.f1, graded.references.f1) == (1.0, 1.0, 1.0), (
        graded.to_json(),
        a.to_json(),
        b.to_json(),
    )


def _holds_up(mm: Metamodel, cim: Cim) -> bytes:
    """Every format compiles; XMI and EMF-JSON read back as the same, valid model."""
    for fmt in FORMATS:
        assert compilers.get(fmt).compile(cim, mm)
    xmi = compilers.get("xmi").compile(cim, mm)
    for fmt, name in (("xmi", "m.xmi"), ("json", "m.json")):
        back = compilers.get_importer(fmt).read(compilers.get(fmt).compile(cim, mm), name, mm)
        assert not has_errors(validate(mm, back)), (fmt, validate(mm, back), cim.to_json())
        _same(mm, cim, back)
    return xmi


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_what_validates_compiles_and_imports_back_the_same(data: st.DataObject) -> None:
    mm = data.draw(metamodels())
    cim = data.draw(candidate_cims(mm))
    if not has_errors(validate(mm, cim)):
        _holds_up(mm, cim)


@settings(
    max_examples=5,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking would rerun the JVM
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.data())
def test_what_validates_loads_clean_in_emf(emf, tmp_path_factory, data: st.DataObject) -> None:
    mm = data.draw(metamodels())
    out = tmp_path_factory.mktemp("values")
    ecore = out / "generated.ecore"
    ecore.write_bytes(mm.sources["generated.ecore"])
    kept = [
        c
        for c in (data.draw(candidate_cims(mm)) for _ in range(8))
        if not has_errors(validate(mm, c))
    ]
    paths: list[Path] = []
    for i, cim in enumerate(kept):
        paths.append(out / f"m{i}.xmi")
        paths[-1].write_bytes(_holds_up(mm, cim))
        if shutil.which("dot") and i == 0:
            assert compilers.get("svg").compile(cim, mm).startswith(b"<?xml")
    for result, cim in zip(emf([ecore], paths) if paths else [], kept, strict=True):
        assert result.errors == [], (result.file, result.errors, cim.to_json())
        assert sum(" : " in line for line in result.canonical) == len(cim.objects)
