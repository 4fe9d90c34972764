"""`instancegen compile` / `import`: exit codes, formats, and no partial output on failure."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from instancegen.service.cli import app

ROOT = Path(__file__).resolve().parent.parent
BANK = str(ROOT / "metamodels" / "bank" / "bank.ecore")
REFERENCE = str(ROOT / "metamodels" / "bank" / "reference.json")
runner = CliRunner()


def test_every_format_compiles_to_a_file(tmp_path: Path) -> None:
    for fmt, marker in (
        ("xmi", b"<bank:Bank"),
        ("json", b'"eClass"'),
        ("cim", b'"objects"'),
        ("dot", b"digraph"),
        ("svg", b"<svg"),
    ):
        out = tmp_path / f"bank.{fmt}"
        result = runner.invoke(
            app, ["compile", "-m", BANK, REFERENCE, "--format", fmt, "-o", str(out)]
        )
        assert result.exit_code == 0, (fmt, result.output)
        assert marker in out.read_bytes(), fmt


def test_unknown_format_lists_installed_ones_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "x.out"
    result = runner.invoke(
        app, ["compile", "-m", BANK, REFERENCE, "--format", "yaml", "-o", str(out)]
    )
    assert result.exit_code == 2
    assert "'yaml'" in result.output and "xmi" in result.output and "svg" in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_invalid_model_exits_1_unless_forced(tmp_path: Path) -> None:
    cim = json.loads(Path(REFERENCE).read_text())
    del cim["objects"][1]["attributes"]["iban"]  # required
    model = tmp_path / "bad.json"
    model.write_text(json.dumps(cim))
    out = tmp_path / "bad.xmi"
    result = runner.invoke(app, ["compile", "-m", BANK, str(model), "-o", str(out)])
    assert result.exit_code == 1 and "iban" in result.output and "acc1" in result.output
    assert not out.exists()
    forced = runner.invoke(app, ["compile", "-m", BANK, str(model), "-o", str(out), "--force"])
    assert forced.exit_code == 0 and out.read_bytes().startswith(b"<?xml")


def test_bad_input_is_exit_2_with_no_partial_file(tmp_path: Path) -> None:
    model = tmp_path / "broken.xmi"
    model.write_bytes(b'<bank:Bank xmlns:bank="http://instancegen.example/bank" vault="1"/>')
    out = tmp_path / "out.json"
    result = runner.invoke(app, ["import", "-m", BANK, str(model), "-o", str(out)])
    assert result.exit_code == 2 and "no feature 'vault'" in result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.xmi"]


def test_import_then_compile_on_stdout(tmp_path: Path) -> None:
    xmi = tmp_path / "bank.xmi"
    assert runner.invoke(app, ["compile", "-m", BANK, REFERENCE, "-o", str(xmi)]).exit_code == 0
    imported = runner.invoke(app, ["import", "-m", BANK, str(xmi)])
    assert imported.exit_code == 0
    cim = json.loads(imported.stdout)
    assert {o["id"] for o in cim["objects"]} >= {"DE01", "DE02", "DE03"}
    again = tmp_path / "again.json"
    again.write_text(imported.stdout)
    recompiled = runner.invoke(app, ["compile", "-m", BANK, str(again)])
    assert recompiled.exit_code == 0
    assert recompiled.stdout_bytes == xmi.read_bytes()
