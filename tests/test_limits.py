"""Every configurable limit is enforced before the expensive work and names itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from instancegen import compilers
from instancegen.service.core.cim import parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import LimitExceeded

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "metamodels" / "bank"


@pytest.fixture
def tight(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSTANCEGEN_MAX_OBJECTS", "3")
    monkeypatch.setenv("INSTANCEGEN_MAX_CLASSES", "2")
    monkeypatch.setenv("INSTANCEGEN_MAX_XML_BYTES", "2000")
    monkeypatch.setenv("INSTANCEGEN_MAX_SPEC_CHARS", "10")


def test_objects_in_cim_json(tight: None) -> None:
    with pytest.raises(LimitExceeded, match="INSTANCEGEN_MAX_OBJECTS"):
        parse_cim((BANK / "reference.json").read_bytes(), "reference.json")


def test_objects_in_xmi(monkeypatch: pytest.MonkeyPatch) -> None:
    mm = load_metamodel([BANK / "bank.ecore"])
    cim = parse_cim((BANK / "reference.json").read_bytes(), "reference.json")
    xmi = compilers.get("xmi").compile(cim, mm)
    monkeypatch.setenv("INSTANCEGEN_MAX_OBJECTS", "3")
    with pytest.raises(LimitExceeded, match="INSTANCEGEN_MAX_OBJECTS"):
        compilers.get_importer("xmi").read(xmi, "bank.xmi", mm)


def test_classes_and_bytes(tight: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(LimitExceeded, match="INSTANCEGEN_MAX_XML_BYTES"):
        load_metamodel([BANK / "bank.ecore"])
    monkeypatch.setenv("INSTANCEGEN_MAX_XML_BYTES", "10000000")
    with pytest.raises(LimitExceeded, match="INSTANCEGEN_MAX_CLASSES"):
        load_metamodel([BANK / "bank.ecore"])


def test_cli_spec_too_long_is_exit_2_before_any_llm(tmp_path: Path) -> None:
    env = {"INSTANCEGEN_MAX_SPEC_CHARS": "10", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "instancegen", "generate", "-m", str(BANK / "bank.ecore"),
         "--spec", "A bank with many accounts and people.", "--model", "openai/none",
         "--api-base", "http://127.0.0.1:9/v1", "-o", str(tmp_path / "out.xmi")],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "INSTANCEGEN_MAX_SPEC_CHARS" in proc.stderr and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_bad_limit_value_is_a_clean_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSTANCEGEN_MAX_OBJECTS", "lots")
    with pytest.raises(Exception, match="INSTANCEGEN_MAX_OBJECTS must be a whole number"):
        parse_cim(json.dumps({"objects": []}), "x")
