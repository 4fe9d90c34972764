"""No internal error on any metamodel: random metamodels (`strategies.package_texts`: packages
and subpackages, inheritance, abstract classes and interfaces, enums, data types with and
without an instance class, containment and cross references, opposites, multiplicities, iD
attributes) through the whole pipeline: load, the schema and prompt of both strategies (the
bundled model's two-phase and a capable model's strict), validate a generated valid CIM,
compile it to every format, import it back, and EMF loads the XMI (one JVM per example).

Every step either answers or refuses with an InputError; none may raise anything else, and a
valid CIM must compile, import back valid and load in EMF without errors."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from strategies import package_texts, valid_cims

from instancegen import compilers
from instancegen.service.backends import sent_schema
from instancegen.service.core.cim import Cim, parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import InputError
from instancegen.service.core.issues import has_errors
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.validator import validate
from instancegen.service.eval.emf_judge import EmfModelResult
from instancegen.service.generation.emfatic import render_metamodel
from instancegen.service.generation.schema import conceptual_schema
from instancegen.service.generation.strategy import plan_for

EXAMPLES = 6
PER_EXAMPLE = 6  # metamodels drawn per example, their XMI judged by one EMF run
MODELS = ("local", "openai/gpt-4o")
Emf = Callable[[Sequence[Path], Sequence[Path]], list[EmfModelResult]]


def test_the_whole_pipeline_has_no_internal_error_on_random_metamodels(
    emf: Emf, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tried: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking would rerun the JVM
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(st.data())
    def run(data: st.DataObject) -> None:
        out = tmp_path_factory.mktemp("random")
        ecores, models = [], []
        for k in range(PER_EXAMPLE):
            tag = f"g{k}"
            text = data.draw(package_texts(tag), label=f"{tag}.ecore")
            ecore = out / f"{tag}.ecore"
            ecore.write_text(text)
            mm = load_metamodel({ecore.name: text})
            spec = f"Two {data.draw(st.sampled_from(list(mm.classes)))} objects, named."
            _schemas_and_prompts(mm, spec)
            cim = data.draw(valid_cims(mm, max_objects=16), label=f"{tag} model")
            model = out / f"{tag}.xmi"
            model.write_bytes(_compiled_and_read_back(mm, cim))
            ecores.append(ecore)
            models.append(model)
            tried.append(text)
        for result in emf(ecores, models):
            assert result.errors == [], (result.file, result.errors)

    run()
    print(f"\nrandom metamodels tried through the whole pipeline: {len(tried)}")
    assert len(tried) >= EXAMPLES * PER_EXAMPLE // 2


def _schemas_and_prompts(mm: Metamodel, spec: str) -> None:
    """What `schema` and `prompt` print, for both strategies: built, and JSON."""
    assert render_metamodel(mm).strip()
    json.dumps(conceptual_schema(mm))
    for model in MODELS:
        plan = plan_for(mm, spec, model)
        messages, response_model = plan.first_request()
        assert spec in json.dumps(messages)
        json.dumps(sent_schema(model, response_model)[0])


def _compiled_and_read_back(mm: Metamodel, cim: Cim) -> bytes:
    """`cim` (valid) through every format; the XMI and EMF-JSON read back valid and whole.
    Returns the XMI."""
    assert not has_errors(validate(mm, cim)), validate(mm, cim)
    written = {}
    for name in compilers.available():
        if name == "svg" and shutil.which("dot") is None:
            continue
        try:
            written[name] = compilers.get(name).compile(cim, mm)
        except InputError:
            assert name == "xml" and mm.xml is None  # only for XSD-derived metamodels
    assert parse_cim(written["cim"]).to_json() == cim.to_json()
    for name in ("xmi", "json"):
        again = compilers.get_importer(name).read(written[name], f"model.{name}", mm)
        assert len(again.objects) == len(cim.objects), name
        assert not has_errors(validate(mm, again)), (name, validate(mm, again))
    return written["xmi"]
