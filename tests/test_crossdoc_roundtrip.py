"""Round trips of two shapes real-world XMI has, EMF judging: a reference written as
`<next xsi:nil="true"/>` (no value, as EMF reads it), and `href="model2_iD.xmi#uniqueNameForB"`
into another document, which EMF resolves through that document's iD attribute: resolved the
same way when the document sits beside the model, kept as the href when it does not, and
pointing at the same file wherever the result is written."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from typer.testing import CliRunner

from instancegen.service.cli import app
from instancegen.service.eval.emf_judge import EmfModelResult

CROSSDOC = Path(__file__).parent / "fixtures" / "xmi" / "crossdoc"
Emf = Callable[[Sequence[Path], Sequence[Path]], list[EmfModelResult]]
runner = CliRunner()


def _copy(where: Path, *names: str) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    for name in ("partners.ecore", *names):
        shutil.copy(CROSSDOC / name, where / name)
    return where


def _cli(*args: str) -> None:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output


def _round_trip(model: Path, cim: Path, out: Path) -> dict[str, list[str]]:
    """import `model` to `cim`, compile that to `out`; the references of its A object."""
    ecore = str(model.parent / "partners.ecore")
    _cli("import", "-m", ecore, str(model), "-o", str(cim))
    _cli("compile", "-m", ecore, str(cim), "-o", str(out))
    (a,) = (o for o in json.loads(cim.read_text())["objects"] if o["class"] == "A")
    return dict(a["references"])


def test_nil_reference_and_id_href_beside_the_model_round_trip(tmp_path: Path, emf: Emf) -> None:
    src = _copy(tmp_path, "model1_iD.xmi", "model2_iD.xmi")
    refs = _round_trip(src / "model1_iD.xmi", src / "m1.json", src / "again.xmi")
    assert "next" not in refs  # xsi:nil: no value
    assert refs["partner"] == ["B model2_iD.xmi#uniqueNameForB"]  # resolved through the iD
    assert refs["others"] == ["B model2_iD.xmi#//@elements.1"]
    original, again = emf([src / "partners.ecore"], [src / "model1_iD.xmi", src / "again.xmi"])
    assert original.errors == [] and again.errors == []
    assert again.canonical == original.canonical
    assert "#0/elements[0].partner -> model2_iD.xmi#0/elements[0]" in again.canonical


def test_written_into_another_directory_it_still_points_at_the_document(
    tmp_path: Path, emf: Emf
) -> None:
    src = _copy(tmp_path / "src", "model1_iD.xmi", "model2_iD.xmi")
    refs = _round_trip(src / "model1_iD.xmi", tmp_path / "cims" / "m1.json", tmp_path / "x.xmi")
    assert refs["partner"] == ["B ../src/model2_iD.xmi#uniqueNameForB"]
    (result,) = emf([src / "partners.ecore"], [tmp_path / "x.xmi"])
    assert result.errors == []
    assert "#0/elements[0].partner -> src/model2_iD.xmi#0/elements[0]" in result.canonical


def test_a_document_not_beside_the_model_is_kept_as_its_href(tmp_path: Path, emf: Emf) -> None:
    src = _copy(tmp_path, "model1_iD.xmi")
    refs = _round_trip(src / "model1_iD.xmi", src / "m1.json", src / "again.xmi")
    assert refs["partner"] == ["model2_iD.xmi#uniqueNameForB"]  # nothing to resolve it by
    original, again = emf([src / "partners.ecore"], [src / "model1_iD.xmi", src / "again.xmi"])
    assert again.canonical == original.canonical  # the same unresolved proxy, as EMF sees it
    assert any("proxy" in line for line in again.canonical)


def test_an_untyped_href_gets_its_class_from_the_document_beside(tmp_path: Path, emf: Emf) -> None:
    src = _copy(tmp_path, "model2_iD.xmi")
    untyped = (CROSSDOC / "model1_iD.xmi").read_text().replace(' xsi:type="partners:B" ', " ")
    (src / "model1_iD.xmi").write_text(untyped)
    refs = _round_trip(src / "model1_iD.xmi", src / "m1.json", src / "again.xmi")
    assert refs["others"] == ["B model2_iD.xmi#//@elements.1"]  # an abstract type: EMF needs it
    (result,) = emf([src / "partners.ecore"], [src / "again.xmi"])
    assert result.errors == []
    assert "#0/elements[0].others -> [model2_iD.xmi#0/elements[1]]" in result.canonical


def test_a_nil_many_valued_reference_reads_as_no_value(tmp_path: Path) -> None:
    src = _copy(tmp_path, "model2_iD.xmi")
    nil = (
        (CROSSDOC / "model1_iD.xmi")
        .read_text()
        .replace('<next xsi:nil="true"/>', '<others xsi:nil="true"/>')
    )
    (src / "model1_iD.xmi").write_text(nil)
    refs = _round_trip(src / "model1_iD.xmi", src / "m1.json", src / "again.xmi")
    assert refs["others"] == ["B model2_iD.xmi#//@elements.1"]
