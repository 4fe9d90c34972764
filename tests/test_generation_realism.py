"""Realism in generation: `unrealistic` findings go to the LLM in repairs (under warn as
warnings shown with the errors, under strict as errors that must be fixed), except on a
value the spec states, which keeps the spec's value with its warning (`judging.stated_by`,
one rule for every strategy).

Two-phase runs on a scripted backend (the loop's logic, deterministically); a one-shot
strategy runs against the capable stand-in server on loopback."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from capable_server import CapableServer, capable_server
from test_generation_loop import LINKS, ScriptedBackend, objects
from typer.testing import CliRunner

from instancegen import generate
from instancegen.service.cli import app
from instancegen.service.core.checks.audit import KEPT_HINT
from instancegen.service.core.cim import parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.issues import Issue
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.judging import stated_by

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "metamodels" / "bank" / "bank.ecore"
BANK_SPEC = (ROOT / "metamodels" / "bank" / "spec.txt").read_text()  # states IBANs DE01…DE03
REFERENCE = parse_cim(json.loads((ROOT / "metamodels" / "bank" / "reference.json").read_text()))
SPEC = "A bank holds two accounts, owned by a person."  # states no IBAN
VALID_1, VALID_2 = "DE89370400440532013000", "DE02120300000000202051"


@pytest.fixture(scope="module")
def bank() -> Metamodel:
    return load_metamodel([BANK])


def _unrealistic(issues: list[Issue]) -> list[tuple[str | None, str | None, str]]:
    return [(i.object, i.feature, i.severity) for i in issues if i.code == "unrealistic"]


def test_stated_by_finds_a_value_as_written_and_standing_apart() -> None:
    spec = "The account  DE01 of Ann, opened 2020-01-05 with 250.5 euros; see DE012X."
    assert stated_by(spec, "DE01") and stated_by(spec, "2020-01-05") and stated_by(spec, 250.5)
    assert stated_by(spec, "account DE01")  # spaces collapsed on both sides
    assert not stated_by(spec, "DE0")  # part of a word is not the value
    assert not stated_by(spec, "DE012")
    assert not stated_by(spec, True) and not stated_by(spec, "") and not stated_by(spec, 25)
    assert stated_by(spec, "BIGBANK", known={"BIGBANK"})  # read from it by the strategy


def test_under_warn_a_repair_shows_the_unrealistic_iban_and_its_fix_is_kept(
    bank: Metamodel,
) -> None:
    """The first answer has an error (a balance no number can be) and a placeholder IBAN;
    the repair prompt shows both, and the scripted repair fixes both."""
    first = objects("DE01", VALID_2, balance=math.nan)
    backend = ScriptedBackend([first, LINKS, objects(VALID_1, VALID_2), LINKS])
    result = generate(bank, SPEC, backend=backend, max_repairs=1)
    assert result.status == "valid", result.issues
    assert len(result.attempts) == 2 and _unrealistic(result.issues) == []
    repair = backend.calls[2]["messages"][-1]["content"]
    assert "[bad-value] account_1.balance" in repair
    assert "[unrealistic] account_1.iban" in repair and "fails the iban check" in repair
    assert "Write a realistic value: an IBAN" in repair
    assert result.cim is not None
    ibans = {o.attributes["iban"] for o in result.cim.objects if o.class_ == "Account"}
    assert ibans == {VALID_1, VALID_2}


def test_under_warn_a_valid_model_is_not_asked_again_for_its_values(bank: Metamodel) -> None:
    backend = ScriptedBackend([objects("DE01", VALID_2), LINKS])
    result = generate(bank, SPEC, backend=backend, max_repairs=2)
    assert result.status == "valid" and len(result.attempts) == 1
    assert _unrealistic(result.issues) == [("account_1", "iban", "warning")]


def test_under_strict_an_unrealistic_iban_is_an_error_the_repair_must_fix(
    bank: Metamodel,
) -> None:
    backend = ScriptedBackend([objects("DE01", VALID_2), LINKS, objects(VALID_1, VALID_2), LINKS])
    result = generate(bank, SPEC, backend=backend, realism="strict", max_repairs=1)
    assert result.status == "valid" and len(result.attempts) == 2, result.issues
    assert result.attempts[0].issue_count >= 1 and _unrealistic(result.issues) == []
    assert "[unrealistic] account_1.iban" in backend.calls[2]["messages"][-1]["content"]


def test_under_strict_an_iban_left_unrealistic_leaves_the_model_invalid(
    bank: Metamodel,
) -> None:
    backend = ScriptedBackend([objects("DE01", VALID_2), LINKS, objects("DE01", VALID_2), LINKS])
    result = generate(bank, SPEC, backend=backend, realism="strict", max_repairs=1)
    assert result.status == "invalid"
    assert _unrealistic(result.issues) == [("account_1", "iban", "error")]


def _typed(iban: str) -> str:
    """A typed (grouped) answer: a bank, two accounts (the first with `iban`), one owner."""
    return json.dumps(
        {
            "Bank": [
                {"id": "alpha", "name": "Alpha", "accounts": ["a1", "a2"], "clients": ["ann"]}
            ],
            "Account": [
                {"id": "a1", "iban": iban, "owners": ["ann"]},
                {"id": "a2", "iban": VALID_2, "owners": ["ann"]},
            ],
            "Person": [{"id": "ann", "name": "Ann Weber"}],
        }
    )


def test_a_stated_invalid_iban_is_kept_with_its_warning_even_under_strict(
    bank: Metamodel,
) -> None:
    spec = "A bank holds two accounts, one of them DE01, owned by a person."
    backend = ScriptedBackend([_typed("DE01")])
    result = generate(
        bank, spec, backend=backend, strategy="typed", realism="strict", max_repairs=2
    )
    assert result.status == "valid" and len(result.attempts) == 1  # no repair asked
    [kept] = [i for i in result.issues if i.code == "unrealistic"]
    assert (kept.object, kept.feature, kept.severity, kept.hint) == (
        "a1",
        "iban",
        "warning",
        KEPT_HINT,
    )
    assert any(o.attributes.get("iban") == "DE01" for o in result.cim.objects)  # type: ignore[union-attr]


def test_an_unstated_invalid_iban_is_repaired_under_strict_in_the_typed_form(
    bank: Metamodel,
) -> None:
    """The same answer for a spec that states no IBAN: an error, and the repair's fix kept."""
    fix = json.dumps({"Account": [{"id": "a1", "iban": VALID_1, "owners": ["ann"]}]})
    backend = ScriptedBackend([_typed("DE01"), fix])
    result = generate(bank, SPEC, backend=backend, strategy="typed", realism="strict")
    assert result.status == "valid" and len(result.attempts) == 2, result.issues
    assert "[unrealistic] a1.iban" in backend.calls[1]["messages"][-1]["content"]
    assert _unrealistic(result.issues) == []


@pytest.fixture(scope="module")
def server(bank: Metamodel) -> Iterator[CapableServer]:
    with capable_server() as s:
        s.add_case(BANK_SPEC, bank, REFERENCE)
        yield s


@pytest.mark.parametrize("strategy", ["typed", "generic"])
def test_one_shot_keeps_the_ibans_the_spec_states(
    server: CapableServer, bank: Metamodel, strategy: str
) -> None:
    """The bank spec states placeholder IBANs (DE01, DE02, DE03): under strict they stay, as
    warnings, and no repair is asked for them."""
    result = generate(
        bank,
        BANK_SPEC,
        model="openai/capable",
        api_base=server.base_url,
        strategy=strategy,
        realism="strict",
        max_repairs=2,
    )
    assert result.status == "valid" and len(result.attempts) == 1, result.issues
    kept = [i for i in result.issues if i.code == "unrealistic"]
    assert {i.object for i in kept} == {"acc1", "acc2", "acc3"}
    assert all(i.severity == "warning" and i.hint == KEPT_HINT for i in kept)


def test_generate_refuses_an_unknown_realism_level() -> None:
    args = ["generate", "-m", str(BANK), "--spec", SPEC, "--realism", "sometimes", "-q"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "sometimes" in result.output
