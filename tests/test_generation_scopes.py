"""Scopes on generation: one `scope` field on the request, refused against the metamodel's
multiplicities before any call, held by the answer's form where it can be (a grouped answer's
lists, phase 1's lists) and checked by the validator otherwise (the generic form, one list of
every object: a `scope` finding, repaired like any other).

The typed and strict strategies run against the capable stand-in server on loopback, which
follows a schema's `minItems` as a model does; two-phase runs the bundled model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from capable_server import CapableServer, capable_server
from http_support import ServerThread
from typer.testing import CliRunner

from instancegen import generate
from instancegen.service.app.batch import BatchLine
from instancegen.service.app.request import GenerationRequest, MetamodelPaths, resolve
from instancegen.service.cli import app
from instancegen.service.core.cim import parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.scope import list_bounds, parse_scopes
from instancegen.service.generation.encoding import Grouped
from instancegen.service.generation.two_phase.objects_schema import objects_model
from instancegen.service.http import Settings, create_app

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "metamodels" / "bank" / "bank.ecore"
SPEC = (ROOT / "metamodels" / "bank" / "spec.txt").read_text()
REFERENCE = parse_cim(json.loads((ROOT / "metamodels" / "bank" / "reference.json").read_text()))
MODEL = "openai/capable"
ACCOUNTS = 'name="accounts" upperBound="-1"'
STRATEGIES = ("typed", "strict", "generic", "two-phase")


@pytest.fixture(scope="module")
def bank() -> Metamodel:
    return load_metamodel([BANK])


@pytest.fixture(scope="module")
def server(bank: Metamodel) -> Iterator[CapableServer]:
    with capable_server() as s:
        s.add_case(SPEC, bank, REFERENCE)
        yield s


@pytest.fixture
def five_accounts(tmp_path: Path) -> Path:
    """The bank metamodel with Bank.accounts [5..*]."""
    ecore = tmp_path / "bank5.ecore"
    text = BANK.read_text()
    assert ACCOUNTS in text
    ecore.write_text(text.replace(ACCOUNTS, 'name="accounts" lowerBound="5" upperBound="-1"'))
    return ecore


def _accounts(cim: object) -> int:
    return sum(1 for o in getattr(cim, "objects", ()) if o.class_ == "Account")


def test_list_bounds_hold_one_concrete_class_both_ways(bank: Metamodel) -> None:
    bounds = list_bounds(bank, parse_scopes(["Account=12", "NamedElement=..4", "Person=2.."]))
    assert bounds["Account"] == (12, 12)
    assert bounds["Person"] == (2, 4)  # its own lower bound, NamedElement's upper
    assert bounds["Bank"] == (0, 4)  # NamedElement spreads over Bank and Person: at most


@pytest.mark.parametrize("strict", [False, True])
def test_the_grouped_form_holds_a_scope_in_its_list_lengths(bank: Metamodel, strict: bool) -> None:
    form = Grouped(bank, strict=strict, scopes=parse_scopes(["Account=2..3"]))
    schema = form.response_model().model_json_schema(by_alias=True)
    accounts = schema["properties"]["Account"]
    assert (accounts["minItems"], accounts["maxItems"]) == (2, 3)
    assert "minItems" not in schema["properties"]["Person"]
    # A repair, or the next part of a cut-off answer, writes only some objects: unbounded.
    for partial in (form.response_model(repair=True), form.response_model(whole=False)):
        assert "minItems" not in partial.model_json_schema(by_alias=True)["properties"]["Account"]


def test_phase_one_holds_a_scope_over_the_cap(bank: Metamodel) -> None:
    schema = objects_model(bank, 3, scopes=parse_scopes(["Account=12"])).model_json_schema(
        by_alias=True
    )
    accounts = schema["properties"]["Account"]
    assert (accounts["minItems"], accounts["maxItems"]) == (12, 12)
    assert schema["properties"]["Person"]["maxItems"] == 3  # the cap, where no scope is


@pytest.mark.parametrize("strategy", ["typed", "strict"])
def test_scope_account_12_gives_exactly_12_accounts(
    server: CapableServer, bank: Metamodel, strategy: str
) -> None:
    result = generate(
        bank,
        SPEC,
        model=MODEL,
        api_base=server.base_url,
        strategy=strategy,
        scope=["Account=12"],
        realism="off",
        max_repairs=0,
    )
    assert result.status == "valid", result.issues
    assert _accounts(result.cim) == 12
    sent = server.requests[-1]["tools"][0]["function"]["parameters"]["properties"]["Account"]
    assert sent["minItems"] == sent["maxItems"] == 12  # held by the form, not repaired
    assert "exactly 12 Account objects" in server.requests[-1]["messages"][-1]["content"]


def test_generic_checks_a_scope_with_the_validator_and_repairs(
    server: CapableServer, bank: Metamodel
) -> None:
    """The generic form cannot bound a class's objects: the count is the validator's
    `scope` finding, sent in a repair like any other."""
    server.requests.clear()
    result = generate(
        bank,
        SPEC,
        model=MODEL,
        api_base=server.base_url,
        strategy="generic",
        scope=["Account=12"],
        realism="off",
        max_repairs=1,
    )
    assert result.status == "invalid" and _accounts(result.cim) == 3  # the stand-in adds none
    [scope] = [i for i in result.issues if i.code == "scope"]
    assert "has 3 Account objects" in scope.message and scope.hint == (
        "Add 9 Account (each in a container that can hold it)."
    )
    assert len(server.requests) == 2  # the first answer and one repair showing the finding
    assert "[scope]" in server.requests[1]["messages"][-1]["content"]


def test_generic_meets_a_scope_the_answer_already_holds(
    server: CapableServer, bank: Metamodel
) -> None:
    result = generate(
        bank,
        SPEC,
        model=MODEL,
        api_base=server.base_url,
        strategy="generic",
        scope=["Account=2..3"],
        realism="off",
        max_repairs=0,
    )
    assert result.status == "valid" and not [i for i in result.issues if i.code == "scope"]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_scope_the_multiplicities_contradict_is_refused_with_exit_2(
    five_accounts: Path, strategy: str
) -> None:
    """Refused before any LLM is asked (the model string names a server nobody runs)."""
    args = ["generate", "-m", str(five_accounts), "--spec", SPEC, "--strategy", strategy]
    args += ["--model", MODEL, "--api-base", "http://127.0.0.1:9/v1", "-q"]
    result = CliRunner().invoke(app, [*args, "--scope", "Account=2..3"])
    assert result.exit_code == 2, result.output
    assert "scope Account=2..3 contradicts the metamodel: at least 5 Account" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_malformed_scope_is_refused_by_the_request_for_every_entry_point(
    five_accounts: Path,
) -> None:
    source = MetamodelPaths(paths=[str(five_accounts)])
    with pytest.raises(InputError, match=r"scope 'Account=3\.\.1' has its minimum 3 above"):
        GenerationRequest.of(metamodel=source, spec=SPEC, scope=["Account=3..1"])
    with pytest.raises(InputError, match="class 'Account' is scoped twice"):
        BatchLine.of(
            metamodel=str(five_accounts), spec=SPEC, output="out", scope=["Account=5", "Account=6"]
        )
    with pytest.raises(InputError, match="realism"):
        GenerationRequest.of(metamodel=source, spec=SPEC, realism="sometimes")
    request = GenerationRequest.of(metamodel=source, spec=SPEC, scope=["Account=2..3"])
    with pytest.raises(InputError, match="contradicts the metamodel"):
        resolve(request)  # what every entry point calls before running


def test_http_refuses_a_contradicted_scope_with_a_problem(five_accounts: Path) -> None:
    body = {"metamodel": {"ecore": five_accounts.read_text()}, "spec": SPEC, "model": MODEL}
    with ServerThread(create_app(Settings())) as server:
        base = server.url
        for path in ("/v1/generate", "/v1/jobs"):
            r = httpx.post(f"{base}{path}", json={**body, "scope": ["Account=2..3"]})
            assert r.status_code in (400, 422), r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert "contradicts the metamodel" in r.json()["detail"]
        r = httpx.post(f"{base}/v1/generate", json={**body, "scope": ["Account=x"]})
        assert r.status_code in (400, 422) and "is not of the form" in r.text


def test_scope_account_12_with_the_bundled_model(bank: Metamodel, local_model: None) -> None:
    """Two-phase with the bundled model: phase 1's grammar holds the count."""
    result = generate(bank, SPEC, scope=["Account=12"], realism="off", max_repairs=1)
    assert result.cim is not None and _accounts(result.cim) == 12, result.issues
    assert not [i for i in result.issues if i.code == "scope"]
