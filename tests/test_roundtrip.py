"""Round trips judged by real EMF: import then compile gives a model EMF sees as equal.

Hand-written Eclipse-style fixtures cover every importer feature; generated metamodels and
valid CIMs (tests/strategies.py) cover the rest. Each example batches its files into one JVM.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from strategies import metamodels, valid_cims

from instancegen import compilers
from instancegen.service.core.cim import Cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.issues import has_errors
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.validator import validate

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "xmi"
FIXTURE_METAMODELS = {
    "ledger-paths.xmi": ROOT / "metamodels" / "suite" / "bank-ledger" / "ledger.ecore",
    "ledger-ids.xmi": ROOT / "metamodels" / "suite" / "bank-ledger" / "ledger.ecore",
    "bank-multiroot.xmi": ROOT / "metamodels" / "bank" / "bank.ecore",
    # EObject-typed references (containment and not), xsi:nil, iD-attribute references,
    # KM3-style data types named Integer/Boolean/String, an EJavaObject, an EDate.
    "values-eobject.xmi": FIXTURES.parent / "ecore" / "values.ecore",
    # References into another model file (href elements, with and without xsi:type).
    "values-a.xmi": FIXTURES.parent / "ecore" / "values.ecore",
    "values-b.xmi": FIXTURES.parent / "ecore" / "values.ecore",
}


def _variants(cim: Cim, mm: Metamodel, stem: str, out: Path) -> list[Path]:
    """The CIM as XMI, as XMI with xmi:ids, and through XMI and EMF-JSON imports back to XMI."""
    xmi, imp = compilers.get("xmi"), compilers.get_importer("xmi")
    direct = xmi.compile(cim, mm)
    via_xmi = xmi.compile(imp.read(direct, f"{stem}.xmi", mm), mm)
    as_json = compilers.get("json").compile(cim, mm)
    via_json = xmi.compile(compilers.get_importer("json").read(as_json, f"{stem}.json", mm), mm)
    files = {
        "direct": direct,
        "ids": xmi.compile(cim, mm, ids="xmi"),
        "via-xmi": via_xmi,
        "via-json": via_json,
    }
    paths = []
    for name, data in files.items():
        path = out / f"{stem}-{name}.xmi"
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_eclipse_style_fixtures_survive_import_and_compile(emf, tmp_path: Path) -> None:
    for fixture in FIXTURE_METAMODELS:  # the compiled copies refer to the same neighbours
        (tmp_path / fixture).write_bytes((FIXTURES / fixture).read_bytes())
    for fixture, ecore in FIXTURE_METAMODELS.items():
        original = FIXTURES / fixture
        mm = load_metamodel([ecore])
        cim = compilers.get_importer("xmi").read(original.read_bytes(), fixture, mm)
        assert not has_errors(validate(mm, cim)), (fixture, validate(mm, cim))
        paths = [original, *_variants(cim, mm, original.stem, tmp_path)]
        results = emf([ecore], paths)
        for result in results:
            assert result.errors == [], (result.file, result.errors)
            assert result.canonical == results[0].canonical, result.file


@settings(
    max_examples=6,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking would rerun the JVM
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.data())
def test_generated_models_round_trip(emf, tmp_path_factory, data: st.DataObject) -> None:
    mm = data.draw(metamodels())
    out = tmp_path_factory.mktemp("rt")
    ecore = out / "generated.ecore"
    ecore.write_bytes(mm.sources["generated.ecore"])
    cims = [data.draw(valid_cims(mm)) for _ in range(3)]
    paths = [p for i, cim in enumerate(cims) for p in _variants(cim, mm, f"m{i}", out)]
    results = emf([ecore], paths)
    for i, cim in enumerate(cims):
        group = results[4 * i : 4 * i + 4]
        for result in group:
            assert result.errors == [], (result.file, result.errors, cim.to_json())
            assert result.canonical == group[0].canonical, (result.file, cim.to_json())
        assert sum(" : " in line for line in group[0].canonical) == len(cim.objects)
