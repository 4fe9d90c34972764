"""Generation with a capable model, through the real LiteLLM + instructor path.

One OpenAI-compatible server on loopback (`capable_server.py`) plays a model that knows each
case's reference and answers whatever schema it is sent. No API key is in the environment: a
local server needs none. Every bundled suite case and a generated case of over 300 objects must
come back valid and exact (F1 1.0 on objects, attributes and references); a first answer with a
dangling reference must be repaired; answers cut at max_tokens must be continued in parts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from capable_server import CapableServer, capable_server
from http_support import ServerThread
from typer.testing import CliRunner

from instancegen import generate
from instancegen.service.cli import app
from instancegen.service.core.cim import Cim, CimObject, parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.eval.evaluation import Case, discover
from instancegen.service.eval.scoring import score
from instancegen.service.generation.result import GenerationResult
from instancegen.service.http import Settings, create_app

ROOT = Path(__file__).resolve().parent.parent
SUITE = discover(ROOT / "metamodels" / "suite")
BANK = ROOT / "metamodels" / "bank" / "bank.ecore"
MODEL = "openai/capable"
KEY_VARIABLES = ("OPENAI_API_KEY", "AZURE_API_KEY", "MY_LLM_KEY")


def big_bank(accounts: int) -> tuple[str, Cim]:
    """A bank with `accounts` accounts, each owned by its own client: 2 * accounts + 1 objects,
    and a spec stating every one of them."""
    kinds = ("CHECKING", "SAVINGS", "CREDIT")
    objects = [
        CimObject(
            id="bank",
            class_="Bank",
            attributes={"name": "Big Bank", "bic": "BIGBDEFF"},
            references={
                "accounts": [f"a{i}" for i in range(accounts)],
                "clients": [f"p{i}" for i in range(accounts)],
            },
        )
    ]
    lines = [f"Big Bank (BIC BIGBDEFF) has {accounts} clients and {accounts} accounts."]
    for i in range(accounts):
        iban, kind, balance = f"DE{i:05d}", kinds[i % 3], float(i * 10)
        objects.append(
            CimObject(
                id=f"a{i}",
                class_="Account",
                attributes={"iban": iban, "balance": balance, "kind": kind},
                references={"owners": [f"p{i}"]},
            )
        )
        objects.append(
            CimObject(
                id=f"p{i}",
                class_="Person",
                attributes={"name": f"Client {i}", "email": f"c{i}@example.org"},
                references={"accounts": [f"a{i}"]},
            )
        )
        lines.append(
            f"Client {i} (email c{i}@example.org) owns the {kind.lower()} account {iban} "
            f"with a balance of {balance:.0f}."
        )
    return " ".join(lines), Cim(objects=objects)


BIG_SPEC, BIG = big_bank(160)  # 321 objects
HUGE_SPEC, HUGE = big_bank(250)  # 501 objects


@pytest.fixture(scope="module")
def bank() -> Metamodel:
    return load_metamodel([BANK])


@pytest.fixture(scope="module")
def module_server(bank: Metamodel) -> Iterator[CapableServer]:
    with capable_server() as server:
        for case in SUITE:
            server.add_case(case.spec, case.metamodel, case.reference)
        server.add_case(BIG_SPEC, bank, BIG)
        server.add_case(HUGE_SPEC, bank, HUGE)
        yield server


@pytest.fixture
def server(module_server: CapableServer, monkeypatch: pytest.MonkeyPatch) -> CapableServer:
    """The module's server, well-behaved, with no API key anywhere in the environment."""
    for name in KEY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    module_server.cut_at_max_tokens = module_server.dangling_first = False
    module_server.terse_ids = False
    module_server.answered.clear()
    module_server.requests.clear()
    module_server.cuts = 0
    return module_server


def _generate(
    server: CapableServer, mm: Metamodel, spec: str, **options: object
) -> GenerationResult:
    return generate(mm, spec, model=MODEL, api_base=server.base_url, **options)  # type: ignore[arg-type]


def _assert_exact(mm: Metamodel, reference: Cim, result: GenerationResult) -> None:
    assert result.status == "valid", result.issues
    assert result.cim is not None
    graded = score(mm, reference, result.cim)
    f1 = (graded.objects.f1, graded.attributes.f1, graded.references.f1)
    assert f1 == (1.0, 1.0, 1.0)


@pytest.mark.parametrize("case", SUITE, ids=lambda c: c.name)
def test_every_suite_case_comes_back_exact(server: CapableServer, case: Case) -> None:
    result = _generate(server, case.metamodel, case.spec, max_repairs=0)
    _assert_exact(case.metamodel, case.reference, result)
    assert result.strategy == "typed"
    assert result.strategy_reason is not None
    assert result.strategy_reason.startswith("strategy typed")
    assert len(server.requests) == 1
    assert all(r["headers"]["authorization"] == "Bearer sk-no-key" for r in server.requests)


def test_answers_naming_only_what_references_need_come_back_exact(server: CapableServer) -> None:
    """The terse form: contained objects in place, an id only where a reference names it."""
    server.terse_ids = True
    named_by_place = 0
    for case in SUITE:
        result = _generate(server, case.metamodel, case.spec, max_repairs=0)
        _assert_exact(case.metamodel, case.reference, result)
        assert result.cim is not None
        named_by_place += sum("." in o.id for o in result.cim.objects)
    assert named_by_place > 0


# Two-phase is left out of the media player: its recursive containment (a state's region holds
# states) lets only an earlier-declared object contain a later one (no cycles under a grammar),
# and phase 1 declares objects class by class, so a region cannot sit inside a later state.
@pytest.mark.parametrize(
    ("strategy", "name"),
    [
        (strategy, name)
        for strategy in ("strict", "generic", "two-phase")
        for name in ("bank-ledger", "eea-powertrain", "statemachine-media-player")
        if (strategy, name) != ("two-phase", "statemachine-media-player")
    ],
)
def test_every_strategy_comes_back_exact(server: CapableServer, strategy: str, name: str) -> None:
    case = next(c for c in SUITE if c.name == name)
    result = _generate(server, case.metamodel, case.spec, max_repairs=0, strategy=strategy)
    _assert_exact(case.metamodel, case.reference, result)
    assert result.strategy == strategy
    assert result.strategy_reason is not None
    assert result.strategy_reason.startswith(f"strategy {strategy} ")


def test_a_generated_case_of_over_300_objects_comes_back_exact(
    server: CapableServer, bank: Metamodel
) -> None:
    assert len(BIG.objects) > 300
    result = _generate(server, bank, BIG_SPEC, max_repairs=0)
    _assert_exact(bank, BIG, result)


def test_a_dangling_reference_is_repaired_keeping_the_rest(server: CapableServer) -> None:
    server.dangling_first = True
    case = next(c for c in SUITE if c.name == "library-lending")
    result = _generate(server, case.metamodel, case.spec, max_repairs=3)
    _assert_exact(case.metamodel, case.reference, result)
    assert 2 <= len(result.attempts) <= 4
    assert result.attempts[0].issue_count >= 1
    repair = server.requests[1]["messages"]
    assert repair[-2]["role"] == "assistant" and "ghost" in repair[-2]["content"]
    assert "[dangling-reference]" in repair[-1]["content"]
    # The repair answer holds the objects to change, not the whole model again.
    assert result.attempts[1].completion_tokens < result.attempts[0].completion_tokens / 3


def test_answers_cut_at_max_tokens_are_continued_in_parts(
    server: CapableServer, bank: Metamodel
) -> None:
    server.cut_at_max_tokens = True
    result = _generate(server, bank, BIG_SPEC, max_repairs=0, max_output_tokens=2048)
    _assert_exact(bank, BIG, result)
    assert server.cuts >= 2 and len(server.requests) == server.cuts + 1
    assert all(r["max_tokens"] <= 2048 for r in server.requests)
    assert "already" not in server.requests[0]["messages"][-1]["content"]
    assert "Account: a0, a1" in server.requests[1]["messages"][-1]["content"]
    # Each part rewrites the bank only to hold more: no object was written twice.
    assert not [i for i in result.issues if "more than once" in i.message]


def test_500_objects_from_an_8k_output_model_on_the_command_line(
    server: CapableServer, tmp_path: Path
) -> None:
    """The CLI in a subprocess, no key in its environment, answers cut at 8,192 tokens."""
    server.cut_at_max_tokens = True
    spec, out = tmp_path / "spec.txt", tmp_path / "bank.json"
    spec.write_text(HUGE_SPEC, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in KEY_VARIABLES}
    env["PYTHONPATH"] = str(ROOT)
    args = ["-m", str(BANK), "--spec-file", str(spec), "--model", MODEL]
    args += ["--api-base", server.base_url, "--max-output-tokens", "8192", "-f", "cim"]
    done = subprocess.run(
        [sys.executable, "-m", "instancegen", "generate", *args, "-o", str(out), "--quiet"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert server.cuts >= 1
    cim = parse_cim(out.read_bytes())
    assert len(cim.objects) == 501
    graded = score(load_metamodel([BANK]), HUGE, cim)
    assert (graded.objects.f1, graded.attributes.f1, graded.references.f1) == (1.0, 1.0, 1.0)


def test_generate_writes_what_compile_writes_with_schema_location_and_ids(
    server: CapableServer, tmp_path: Path, emf
) -> None:
    """One command gives the file Eclipse opens unregistered: `generate --schema-location
    --ids xmi` writes the bytes `compile` writes with the same options for the same CIM."""
    case = next(c for c in SUITE if c.name == "bank-basic")
    (source,) = case.ecore
    ecore = tmp_path / "mm" / source.name
    ecore.parent.mkdir()
    ecore.write_bytes(source.read_bytes())
    spec, out, report = tmp_path / "spec.txt", tmp_path / "out" / "bank.xmi", tmp_path / "r.json"
    spec.write_text(case.spec, encoding="utf-8")
    options = ["--schema-location", "--ids", "xmi"]
    args = ["-m", str(ecore), "--spec-file", str(spec), "--model", MODEL]
    args += ["--api-base", server.base_url, "--max-repairs", "0", "--report", str(report)]
    done = CliRunner().invoke(app, ["generate", *args, *options, "-o", str(out), "--quiet"])
    assert done.exit_code == 0, done.stderr
    cim_file = tmp_path / "cim.json"
    cim_file.write_text(json.dumps(json.loads(report.read_text())["cim"]), encoding="utf-8")
    again = tmp_path / "out" / "compiled.xmi"
    compiled = CliRunner().invoke(
        app, ["compile", "-m", str(ecore), str(cim_file), *options, "-o", str(again)]
    )
    assert compiled.exit_code == 0, compiled.stderr
    assert out.read_bytes() == again.read_bytes()
    text = out.read_text(encoding="utf-8")
    assert f'xsi:schemaLocation="{case.metamodel.packages[0].ns_uri} ../mm/{source.name}"' in text
    assert 'xmi:id="' in text
    (judged,) = emf([ecore], [out])
    assert judged.errors == []
    refused = CliRunner().invoke(app, ["generate", *args, "--ids", "uuid", "-o", str(out)])
    assert refused.exit_code == 2 and "--ids" in refused.stderr


def test_api_key_env_names_the_key_sent(
    server: CapableServer, monkeypatch: pytest.MonkeyPatch, bank: Metamodel
) -> None:
    case = SUITE[0]
    monkeypatch.setenv("MY_LLM_KEY", "sk-mine")
    _generate(server, case.metamodel, case.spec, max_repairs=0, api_key_env="MY_LLM_KEY")
    assert server.requests[-1]["headers"]["authorization"] == "Bearer sk-mine"
    monkeypatch.delenv("MY_LLM_KEY")
    args = ["-m", str(BANK), "--spec", "A bank.", "--model", MODEL, "--api-key-env", "MY_LLM_KEY"]
    result = CliRunner().invoke(app, ["generate", *args, "--api-base", server.base_url])
    assert result.exit_code == 2 and "MY_LLM_KEY" in result.stderr


def test_schema_and_prompt_show_what_is_sent(server: CapableServer) -> None:
    case = next(c for c in SUITE if c.name == "orgchart-company")
    files = [arg for p in case.ecore for arg in ("-m", str(p))]
    _generate(server, case.metamodel, case.spec, max_repairs=0)
    sent = server.requests[0]
    common = ["--model", MODEL, "--api-base", server.base_url]
    shown = CliRunner().invoke(app, ["schema", *files, *common])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout) == sent["tools"][0]["function"]["parameters"]
    prompt = CliRunner().invoke(
        app,
        ["prompt", *files, "--spec", case.spec, "--json", *common],
    )
    assert prompt.exit_code == 0, prompt.output
    assert json.loads(prompt.stdout) == sent["messages"]


def test_http_generate_and_schema_follow_the_model(server: CapableServer, tmp_path: Path) -> None:
    case = next(c for c in SUITE if c.name == "petrinet-traffic-light")
    ecore = case.ecore[0].read_text(encoding="utf-8")
    app = create_app(Settings(db_path=tmp_path / "h.db", api_bases=(server.base_url,)))
    body = {"metamodel": {"ecore": ecore}, "spec": case.spec, "model": MODEL}
    body |= {"api_base": server.base_url, "format": "cim", "max_repairs": 0}
    with ServerThread(app) as srv, httpx.Client(base_url=srv.url, timeout=120) as c:
        for strategy in ("auto", "generic"):
            r = c.post("/v1/generate", json={**body, "strategy": strategy})
            assert r.status_code == 200, r.text
            data = r.json()
            expected = "typed" if strategy == "auto" else strategy
            assert data["strategy"] == expected
            assert data["strategy_reason"].startswith(f"strategy {expected} ")
            graded = score(case.metamodel, case.reference, parse_cim(data["cim"]))
            assert (graded.objects.f1, graded.attributes.f1, graded.references.f1) == (1, 1, 1)
        mm_id = c.post("/v1/metamodels", json={"ecore": ecore}).json()["id"]
        params = {"model": MODEL, "api_base": server.base_url}
        shown = c.get(f"/v1/metamodels/{mm_id}/schema", params=params).json()
        assert shown == server.requests[0]["tools"][0]["function"]["parameters"]
        r = c.get(f"/v1/metamodels/{mm_id}/schema", params={"strategy": "clever"})
        assert r.status_code in (400, 422) and "clever" in r.json()["detail"]


def test_samples_are_drawn_with_seeds_and_the_majority_kept(
    server: CapableServer, bank: Metamodel
) -> None:
    """Three samples through LiteLLM, each answered by seed: one invents an account, one gets
    a balance and an owner wrong. The vote gives back the reference exactly."""
    spec = "Self-consistency bank: Deutsche Bank with three accounts and three clients."
    reference = parse_cim((ROOT / "metamodels" / "bank" / "reference.json").read_bytes())
    server.add_case(spec, bank, reference)
    invented = reference.model_copy(deep=True)
    invented.objects.append(
        CimObject(id="acc9", class_="Account", attributes={"iban": "DE99"},
                  references={"owners": ["alice"]})
    )  # fmt: skip
    invented.objects[0].references["accounts"].append("acc9")
    wrong = reference.model_copy(deep=True)
    acc2 = next(o for o in wrong.objects if o.id == "acc2")
    acc2.attributes["balance"] = 1.0
    acc2.references["owners"] = ["carol"]
    server.add_variant(spec, 1, invented)
    server.add_variant(spec, 2, wrong)
    result = _generate(server, bank, spec, samples=3, max_repairs=0)
    assert [(r.get("temperature"), r.get("seed")) for r in server.requests] == [
        (0.7, 1),
        (0.7, 2),
        (0.7, 3),
    ]
    assert result.status == "valid" and result.cim is not None
    assert result.consensus == "consensus of 3 samples: kept 7 of 8 objects"
    graded = score(bank, reference, result.cim)
    assert (graded.objects.f1, graded.attributes.f1, graded.references.f1) == (1.0, 1.0, 1.0)
    one = _generate(server, bank, spec, max_repairs=0)  # greedy: no seed is sent
    assert "seed" not in server.requests[-1] and one.usage.prompt_tokens * 3 == (
        result.usage.prompt_tokens
    )


def test_eval_takes_a_requests_llm_options(
    server: CapableServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`eval` takes --api-key-env, --strategy, --max-output-tokens and --context-tokens as
    `generate` does, for every case it runs."""
    monkeypatch.setenv("MY_EVAL_KEY", "sk-eval")
    report = tmp_path / "r.json"
    args = ["eval", str(ROOT / "metamodels" / "suite"), "--cases", "bank-basic,family-small"]
    args += ["--model", MODEL, "--api-base", server.base_url, "--api-key-env", "MY_EVAL_KEY"]
    args += ["--strategy", "generic", "--max-output-tokens", "2048", "--context-tokens", "65536"]
    result = CliRunner().invoke(app, [*args, "--max-repairs", "0", "--report", str(report)])
    assert result.exit_code == 0, result.output
    runs = json.loads(report.read_text())["runs"]
    assert [r["status"] for r in runs] == ["valid", "valid"]
    assert server.requests and all(
        r["headers"]["authorization"] == "Bearer sk-eval" and r["max_tokens"] <= 2048
        for r in server.requests
    )
    assert all(r["tools"][0]["function"]["name"] == "CIM" for r in server.requests)  # generic
