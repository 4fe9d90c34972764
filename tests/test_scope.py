"""Scopes: the parser, the refusal of scopes a metamodel's multiplicities contradict, the
validator's `scope` finding (subclasses' objects counted), and `validate --scope`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from instancegen.service.cli import app
from instancegen.service.core.cim import parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.scope import Scope, check_scopes, parse_scope, parse_scopes
from instancegen.service.core.validator import validate

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "metamodels" / "bank" / "bank.ecore"
REFERENCE = ROOT / "metamodels" / "bank" / "reference.json"
UNIVERSITY = ROOT / "metamodels" / "suite" / "university-courses" / "university.ecore"
ACCOUNTS = 'name="accounts" upperBound="-1"\n        eType="#//Account" containment="true"'


def bank_with(bounds: str) -> Metamodel:
    """The bundled bank metamodel with Bank.accounts given other bounds."""
    text = BANK.read_text()
    assert ACCOUNTS in text
    changed = text.replace(ACCOUNTS, f'name="accounts" {bounds}\n        eType="#//Account" '
                           'containment="true"')  # fmt: skip
    return load_metamodel({"bank.ecore": changed})


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        ("Account=12", Scope("Account", 12, 12)),
        ("Account=2..3", Scope("Account", 2, 3)),
        ("Account=2..", Scope("Account", 2, None)),
        ("Account=..5", Scope("Account", 0, 5)),
        (" Account = 0 ", Scope("Account", 0, 0)),
        ("bank.Account=1..1", Scope("bank.Account", 1, 1)),
    ],
)
def test_scopes_parse(text: str, scope: Scope) -> None:
    assert parse_scope(text) == scope
    assert parse_scope(str(scope)) == scope  # its text reads back


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Account", "is not of the form Class=N, Class=MIN..MAX"),
        ("=3", "is not of the form"),
        ("Account=three", "is not of the form"),
        ("Account=-1", "is not of the form"),
        ("Account=", "gives no count"),
        ("Account=..", "gives no count"),
        ("Account=3..1", "has its minimum 3 above its maximum 1"),
        ("Account=5000000", "asks for more than 1,000,000 objects"),
    ],
)
def test_malformed_scopes_are_refused_naming_the_text(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as raised:
        parse_scope(text)
    assert repr(text) in raised.value.message


def test_a_class_scoped_twice_is_refused() -> None:
    with pytest.raises(InputError, match=r"'Account' is scoped twice \(Account=1 and Account=2\)"):
        parse_scopes(["Account=1", "Person=2", "Account=2"])


def test_an_unknown_class_is_refused_with_the_names_near_it() -> None:
    with pytest.raises(InputError) as raised:
        check_scopes(load_metamodel([BANK]), parse_scopes(["Acount=3"]))
    assert raised.value.message == (
        "scope Acount=3: the metamodel has no class 'Acount' (did you mean Account?)."
    )


def test_a_scope_below_what_a_containments_lower_bound_forces_is_refused() -> None:
    """Each bank holds at least 5 accounts, and two accounts cannot both be the root: a bank
    is needed, so at least 5 accounts."""
    mm = bank_with('lowerBound="5" upperBound="-1"')
    with pytest.raises(InputError) as raised:
        check_scopes(mm, parse_scopes(["Account=2..3"]))
    message = raised.value.message
    assert message.startswith(
        "scope Account=2..3 contradicts the metamodel: at least 5 Account are needed, as each "
        "Bank holds at least 5 Account through Bank.accounts"
    )
    assert "only Bank objects can hold Account objects (Bank.accounts)" in message
    check_scopes(mm, parse_scopes(["Account=5..7"]))  # what the bound allows passes
    check_scopes(mm, parse_scopes(["Account=1"]))  # one account may be the root alone
    with pytest.raises(InputError, match="at least 10 Account are needed"):
        check_scopes(mm, parse_scopes(["Bank=2", "Account=..9"]))


def test_a_scope_above_the_room_containers_leave_is_refused() -> None:
    mm = bank_with('upperBound="3"')
    with pytest.raises(InputError) as raised:
        check_scopes(mm, parse_scopes(["Bank=1", "Account=5"]))
    assert raised.value.message == (
        "scope Account=5 contradicts the metamodel: at least 5 Account are needed, but "
        "Account objects can only be held by Bank.accounts (at most 3 each, and at most 1 "
        "Bank): room for 3 besides the root."
    )
    check_scopes(mm, parse_scopes(["Bank=1", "Account=4"]))  # three held, one the root
    check_scopes(mm, parse_scopes(["Bank=2", "Account=6"]))
    check_scopes(mm, parse_scopes(["Account=50"]))  # no bound on the banks: room enough


def test_a_scope_on_a_superclass_bounds_its_subclasses() -> None:
    mm = load_metamodel([BANK])
    with pytest.raises(InputError, match="at least 3 NamedElement are needed, as the scope"):
        check_scopes(mm, parse_scopes(["NamedElement=1..2", "Person=3"]))
    check_scopes(mm, parse_scopes(["NamedElement=1..4", "Person=3"]))


def test_the_scope_finding_counts_subclasses_objects() -> None:
    mm = load_metamodel([UNIVERSITY])
    cim = parse_cim({
        "objects": [
            {"id": "u", "class": "University", "attributes": {"name": "U"},
             "references": {"people": ["s1", "s2", "l1"]}},
            *({"id": s, "class": "Student", "attributes": {"name": s, "matriculationNumber": s}}
              for s in ("s1", "s2")),
            {"id": "l1", "class": "Lecturer", "attributes": {"name": "C"}},
        ]
    })  # fmt: skip
    assert validate(mm, cim, realism="off", scopes=parse_scopes(["Person=3", "Student=1..2"])) == []
    found = validate(mm, cim, realism="off", scopes=parse_scopes(["Person=4..", "Student=..1"]))
    assert [(i.code, i.severity, i.object) for i in found] == [("scope", "error", None)] * 2
    assert found[0].message == (
        "The model has 3 Person objects (subclasses' objects included); the scope Person=4.. "
        "asks for at least 4."
    )
    assert found[0].hint == "Add 1 Person (each in a container that can hold it)."
    assert found[1].hint == "Remove 1 Student (and every reference to them)."


def run(*args: str, metamodel: Path = BANK) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["validate", "-m", str(metamodel), str(REFERENCE), *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_validate_takes_scopes() -> None:
    code, out, _ = run(
        "--json", "--realism", "off", "--scope", "Account=3", "--scope", "Person=1.."
    )
    assert code == 0 and json.loads(out) == []
    code, out, _ = run("--json", "--realism", "off", "--scope", "Account=12")
    assert code == 1 and [i["code"] for i in json.loads(out)] == ["scope"]
    code, _, err = run("--scope", "Acount=3")
    assert code == 2 and "no class 'Acount'" in err
    code, _, err = run("--scope", "Account=3..1")
    assert code == 2 and "minimum 3 above its maximum 1" in err


def test_cli_validate_refuses_a_scope_the_multiplicities_contradict(tmp_path: Path) -> None:
    ecore = tmp_path / "bank.ecore"
    ecore.write_text(
        BANK.read_text().replace(
            ACCOUNTS, ACCOUNTS.replace("upperBound", 'lowerBound="5" upperBound')
        )
    )
    code, out, err = run("--scope", "Account=2..3", metamodel=ecore)
    assert (code, out) == (2, "")
    assert "scope Account=2..3 contradicts the metamodel: at least 5 Account are needed" in err
    assert "Bank.accounts" in err and "Traceback" not in err
