"""Instance sets: distinct models (no two isomorphic), their diversity, kinds, and invalid
models that break exactly the rule their manifest names; through the Python API, HTTP
(`count`/`kind`, scripted LLM) and the CLI with the bundled local model."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from emf_check import EmfModelResult
from http_support import BANK_ECORE, BANK_REFERENCE, ServerThread, VaryingBackend, sse
from typer.testing import CliRunner

from instancegen import load_metamodel, parse_cim
from instancegen.service.app.instance_sets import _MUTATIONS, break_one_rule, shape_key
from instancegen.service.cli import app
from instancegen.service.core.cim import Cim
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.validator import validate
from instancegen.service.eval.diversity import set_figures
from instancegen.service.http.app import create_app
from instancegen.service.http.settings import Settings

EmfCheck = Callable[[Sequence[Path], Sequence[Path]], list[EmfModelResult]]
SHORT_SPEC = "Bank Alpha (BIC ALPHDEFF) has one client, Ann Lee, who owns the account DE01."


def _reference() -> Cim:
    return parse_cim(BANK_REFERENCE.read_bytes())


def _renamed(cim: Cim, old: str, new: str) -> Cim:
    return parse_cim(json.dumps(cim.to_json()).replace(f'"{old}"', f'"{new}"'))


def test_isomorphic_models_share_a_shape_and_a_changed_value_does_not() -> None:
    cim = _reference()
    assert shape_key(_renamed(cim, "acc1", "checking")) == shape_key(cim)
    changed = parse_cim(json.dumps(cim.to_json()).replace("1250.5", "1250.75"))
    assert shape_key(changed) != shape_key(cim)
    relinked = cim.to_json()
    relinked["objects"][1]["references"]["owners"] = ["bob"]  # same labels, other structure
    assert shape_key(parse_cim(relinked)) != shape_key(cim)


def diversity(mm: Metamodel, cims: list[Cim]) -> float | None:
    return set_figures(mm, cims).scorer_distance


def test_diversity_is_zero_for_twins_and_grows_with_difference() -> None:
    mm = load_metamodel([BANK_ECORE])
    cim = _reference()
    assert diversity(mm, [cim]) is None
    assert diversity(mm, [cim, _renamed(cim, "acc1", "x")]) == 0.0
    smaller = parse_cim({"objects": [cim.to_json()["objects"][0] | {"references": {}}]})
    assert 0 < diversity(mm, [cim, smaller]) <= 1  # type: ignore[operator]


@pytest.mark.parametrize("start", range(len(_MUTATIONS)))
def test_a_broken_model_has_exactly_the_one_finding_it_names(start: int) -> None:
    mm = load_metamodel([BANK_ECORE])
    broken = break_one_rule(mm, _reference(), start)
    assert broken is not None
    cim, expected = broken
    errors = [i for i in validate(mm, cim) if i.severity == "error"]
    assert errors == [expected]
    assert expected.code in {"multiplicity", "multiple-containers", "dangling-reference",
                             "bad-value"}  # fmt: skip


def test_count_and_kind_over_http(tmp_path: Path) -> None:
    backend = VaryingBackend()
    app_ = create_app(Settings(db_path=tmp_path / "jobs.db"), backend_factory=lambda m, b: backend)
    body: dict[str, Any] = {
        "metamodel": {"ecore": BANK_ECORE.read_text()},
        "spec": "A bank.",
        "model": "scripted",
        "count": 3,
    }
    mm = load_metamodel([BANK_ECORE])
    with ServerThread(app_) as server, httpx.Client(base_url=server.url, timeout=60) as c:
        r = c.post("/v1/generate", json=body)
        assert r.status_code == 200, r.text
        data = r.json()
        assert data["status"] == "complete" and data["kind"] == "typical"
        cims = [parse_cim(m["cim"]) for m in data["members"]]
        assert len({shape_key(x) for x in cims}) == 3
        assert all(m["artifacts"]["xmi"].startswith("<?xml") for m in data["members"])
        assert data["diversity"] == diversity(mm, cims) and data["diversity"] > 0

        job = c.post("/v1/jobs", json=body | {"kind": "invalid", "count": 2}).json()["id"]
        events = sse(c, f"/v1/jobs/{job}/events")
        assert events[-1][1] == "finished" and events[-1][2]["data"]["status"] == "complete"
        result = c.get(f"/v1/jobs/{job}").json()["result"]
        for member in result["members"]:
            issues = validate(mm, parse_cim(member["cim"]))
            assert [i.model_dump() for i in issues if i.severity == "error"] == [member["expected"]]

        bad = c.post("/v1/generate", json=body | {"count": 0})
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")


@pytest.mark.slow
def test_local_model_writes_a_set_of_distinct_valid_models(
    tmp_path: Path, local_model: None, emf: EmfCheck
) -> None:
    out = tmp_path / "set" / "bank"
    args = ["generate", "-m", str(BANK_ECORE), "--spec", SHORT_SPEC, "--count", "3"]
    result = CliRunner().invoke(app, [*args, "-o", str(out), "-q"])
    manifest = json.loads((tmp_path / "set" / "bank-manifest.json").read_text())
    assert result.exit_code == 0, (result.stderr, manifest["problems"])
    assert manifest["status"] == "complete" and manifest["written"] == 3
    files = [tmp_path / "set" / m["files"]["xmi"] for m in manifest["models"]]
    assert [f.name for f in files] == ["bank-001.xmi", "bank-002.xmi", "bank-003.xmi"]
    mm = load_metamodel([BANK_ECORE])
    cims = []
    for f in files:
        imported = CliRunner().invoke(app, ["import", "-m", str(BANK_ECORE), str(f)])
        assert imported.exit_code == 0, imported.stderr
        cims.append(parse_cim(imported.stdout))
        assert not [i for i in validate(mm, cims[-1]) if i.severity == "error"]
    assert len({shape_key(c) for c in cims}) == 3
    assert manifest["diversity"] > 0
    assert all(r.ok for r in emf([BANK_ECORE], files))


@pytest.mark.slow
def test_local_model_invalid_kind_breaks_the_rule_its_manifest_names(
    tmp_path: Path, local_model: None
) -> None:
    out = tmp_path / "bad" / "bank"
    args = ["generate", "-m", str(BANK_ECORE), "--spec", SHORT_SPEC, "--kind", "invalid"]
    result = CliRunner().invoke(app, [*args, "-f", "cim", "-o", str(out), "-q"])
    manifest = json.loads((tmp_path / "bad" / "bank-manifest.json").read_text())
    assert result.exit_code == 0, (result.stderr, manifest["problems"])
    [model] = manifest["models"]
    path = tmp_path / "bad" / model["files"]["cim"]
    checked = CliRunner().invoke(app, ["validate", "-m", str(BANK_ECORE), str(path), "--json"])
    assert checked.exit_code == 1
    findings = [i for i in json.loads(checked.stdout) if i["severity"] == "error"]
    assert findings == [model["expected"]]
