"""Realism checks: each bundled check on valid and invalid values, how checks are chosen
(annotation, name and type), the plugin group, the validator's `unrealistic` findings, and
`validate --realism` / `inspect` on the command line."""

from __future__ import annotations

import json
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from http_support import ServerThread
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from instancegen.service.app.settings import Settings
from instancegen.service.cli import app
from instancegen.service.cli.app import out as cli_out
from instancegen.service.core import checks
from instancegen.service.core.checks.audit import audit
from instancegen.service.core.cim import parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.validator import validate
from instancegen.service.http.app import create_app

ECORE = Path(__file__).parent / "fixtures" / "ecore" / "realism.ecore"
TODAY = date(2026, 6, 1)


@pytest.fixture(scope="module")
def mm() -> Metamodel:
    return load_metamodel([ECORE])


def verdict(
    mm: Metamodel, check: str, cls: str, feature: str, value: Any, **others: Any
) -> str | None:
    """The named check's verdict on one value of `cls.feature` (others: the object's other
    attribute values)."""
    view = mm.classes[cls]
    attribute = view.feature_map[feature]
    context = checks.Context(view, attribute, {feature: value, **others}, TODAY)
    return checks.get(check).check(value, context)


CASES: list[tuple[str, str, str, list[Any], list[Any]]] = [
    # check, class, feature, values that pass, values that fail
    (
        "iban", "Account", "iban",
        ["DE89370400440532013000", "DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432"],
        ["DE89370400440532013001", "DE88370400440532013000", "DE01", "XX89370400440532013000"],
    ),
    (
        "bic", "Account", "swiftBic",
        ["DEUTDEFF", "DEUTDEFF500", "COBADEFFXXX"],
        ["DEUTDEF", "DEUTXXFF", "DEUT12FF", "DEUTDEFF5"],
    ),
    (
        "email", "Person", "email",
        ["alice@example.org", "bob.smith+tag@uni-bonn.de"],
        ["alice@@example.org", "alice", "a b@example.org", "alice@localhost"],
    ),
    (
        "url", "Person", "homepageUrl",
        ["https://example.org/path?q=1", "http://uni-bonn.de", "https://[2001:db8::1]:8080/"],
        ["example.org", "htp://example.org", "https://", "https://exa mple.org",
         "https://example", "https://-bad-.org", "https://example.org:99999/"],
    ),
    (
        "phone", "Person", "phoneNumber",
        ["+49 30 901820", "+1 650 253 0000", "0049 30 901820", "030 1234567", "(030) 123-4567"],
        ["+49 1", "+999 123456", "call me", "2024-05-01", "12", "+1 650 253 0000 1234"],
    ),
    (
        "country", "Company", "countryCode",
        ["DE", "DEU", "276", "fr"],
        ["XX", "Germany", "D", "DEUT"],
    ),
    ("currency", "Account", "currency", ["EUR", "usd", "Euro", "US Dollar"], ["XYZ", "Euros", "€"]),
    ("currency", "Account", "currencyCode", ["EUR", "JPY"], ["Euro", "EURO"]),
    (
        "code", "Course", "code",
        ["CS101", "INF-2024-01", "A 1"],
        ["5454-05-05T01:12:00+00:00", "2024-05-01", "", "this code reads as a sentence"],
    ),
    ("age", "Person", "age", [0, 42, 125], [-1, 150, 5454]),
    ("percentage", "Company", "womenPercentage", [0, 55.5, 100], [-5, 100.5, 250]),
    (
        "birth-date", "Person", "dateOfBirth",
        ["1990-05-17", "1920-01-01T00:00:00Z", "2026-05-31"],
        ["1250-01-01", "5454-05-05T01:12:00+00:00", "2027-01-01", "1900-12-31"],
    ),
    ("birth-date", "Person", "birthYear", [1980, 1916, 2026], [1250, 1850, 2999]),
    (
        "person-name", "Student", "name",
        ["Alice Schmidt", "Ana María García-López", "Jean-Baptiste O'Neil", "Cora Banks"],
        ["Bac University", "David School of Business", "Acme GmbH", "Globex Inc.", "Müller AG",
         "Institute of Physics", "sly@example.net", "Sylwia_223", "Student 2"],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("check", "cls", "feature", "good", "bad"), CASES)
def test_each_bundled_check_passes_real_values_and_fails_others(
    mm: Metamodel, check: str, cls: str, feature: str, good: list[Any], bad: list[Any]
) -> None:
    assert [v for v in good if verdict(mm, check, cls, feature, v) is not None] == []
    reasons = {v: verdict(mm, check, cls, feature, v) for v in bad}
    assert [v for v, why in reasons.items() if why is None] == []


def test_reasons_say_what_is_wrong(mm: Metamodel) -> None:
    assert verdict(mm, "iban", "Account", "iban", "DE89370400440532013001") == (
        "its check digits are wrong (mod 97)"
    )
    assert verdict(mm, "bic", "Account", "swiftBic", "DEUTXXFF") == (
        "its country code is not an ISO 3166 country"
    )
    assert verdict(mm, "code", "Course", "code", "5454-05-05T01:12:00+00:00") == (
        "it is a date or timestamp, not a code"
    )
    assert verdict(mm, "person-name", "Student", "name", "Bac University") == (
        "'University' makes it an organisation's name, not a person's"
    )
    assert verdict(mm, "person-name", "Student", "name", "ann@example.org") == (
        "'@' has no place in a person's name"
    )
    assert verdict(mm, "birth-date", "Person", "dateOfBirth", "1250-01-01") == (
        "1250-01-01 is more than 110 years ago"
    )
    assert verdict(mm, "age", "Person", "age", 150) == "an age of 150 is outside 0 to 125"
    assert verdict(mm, "phone", "Person", "phoneNumber", "+999 123456") is not None


def test_people_of_history_may_be_born_before_living_memory(mm: Metamodel) -> None:
    """An author, or a person with a death feature, may be born in any past year; never in
    the future. A student may not be born before living memory."""
    assert verdict(mm, "birth-date", "Author", "birthYear", 1892) is None
    assert verdict(mm, "birth-date", "Relative", "dateOfBirth", "1850-03-01") is None
    assert verdict(mm, "birth-date", "Author", "birthYear", 5454) == "5454 is in the future"
    assert verdict(mm, "birth-date", "Student", "birthYear", 1892) is not None
    assert verdict(mm, "date-order", "Relative", "deathYear", 1840, birthYear=1850) == (
        "it is before birthYear (1850)"
    )


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(st.text(), st.integers(), st.floats(), st.booleans()))
def test_no_value_makes_a_check_fail_to_answer(mm: Metamodel, value: Any) -> None:
    """Every bundled check answers any value (any text, lone surrogates and control
    characters included) with None or a reason, never an exception."""
    for check, cls, feature, _, _ in [*CASES, ("date-order", "Course", "endDate", [], [])]:
        why = verdict(mm, check, cls, feature, value, startDate=value)
        assert why is None or isinstance(why, str)


def test_a_value_of_a_type_a_check_does_not_judge_passes(mm: Metamodel) -> None:
    assert verdict(mm, "iban", "Account", "iban", 42) is None
    assert verdict(mm, "age", "Person", "age", "old") is None
    assert verdict(mm, "birth-date", "Person", "dateOfBirth", "not a date") is None


@pytest.mark.parametrize(
    ("cls", "end", "start", "begun", "ended", "ok"),
    [
        ("Course", "endDate", "startDate", "2024-09-01", "2024-12-20", True),
        ("Course", "endDate", "startDate", "2024-09-01", "2024-09-01T00:00:00Z", True),
        ("Course", "endDate", "startDate", "2024-09-01", "2024-08-01", False),
        ("Account", "validUntil", "validFrom", "2024-01-01", "2023-12-31", False),
        ("Account", "validUntil", "validFrom", "soon", "2023-12-31", True),  # not a date
        ("Company", "endYear", "startYear", 1990, 2001, True),
        ("Company", "endYear", "startYear", 2001, 1990, False),
        ("Course", "to", "from", "2024-02-01", "2024-01-01", False),
        ("Course", "to", "from", "5000", "1000", True),  # strings that are no dates
    ],
)
def test_an_end_is_not_before_its_start(
    mm: Metamodel, cls: str, end: str, start: str, begun: Any, ended: Any, ok: bool
) -> None:
    why = verdict(mm, "date-order", cls, end, ended, **{start: begun})
    assert (why is None) == ok, why
    if not ok:
        assert why == f"it is before {start} ({begun})"


# --- which checks a feature gets ---------------------------------------------------------------


def test_checks_are_chosen_by_name_and_type_or_by_annotation(mm: Metamodel) -> None:
    """The expected choice is `realism.checks.json`: a phone number gets `phone`, not the
    fallback `code` too; check="none" wins over the name `privateEmail`."""
    expected = json.loads(ECORE.with_suffix(".checks.json").read_text())
    del expected["_"]

    def described(got: checks.Applied) -> str:
        names = [c.name for c in got.checks] + [f"{n} (not installed)" for n in got.unknown]
        text = " ".join(names)
        return f"annotated: {text}".rstrip() if got.annotated else text

    chosen = {
        f"{c.key}.{a.name}": described(got)
        for c in mm.concrete_classes
        for a in c.attributes
        if (got := checks.applied(c, a)).checks or got.annotated
    }
    assert chosen == expected
    # A company's name is no person's, a birth place no date, a percent change unbounded.
    assert "Company.name" not in chosen and "Student.birthPlace" not in chosen
    assert "Company.revenuePercentChange" not in chosen


def test_the_loader_keeps_the_instancegen_annotation(mm: Metamodel) -> None:
    person = mm.classes["Person"].feature_map
    assert [person[n].check for n in ("mailbox", "privateEmail", "email")] == [
        "email, phone",
        "none",
        None,
    ]


def test_bundled_checks_register_through_the_entry_point_group() -> None:
    from importlib.metadata import entry_points

    names = {ep.name for ep in entry_points(group=checks.GROUP)}
    bundled = {"iban", "bic", "email", "url", "phone", "country", "currency", "code", "age",
               "percentage", "birth-date", "person-name", "date-order"}  # fmt: skip
    assert bundled <= names and bundled <= set(checks.available())
    assert all(isinstance(checks.get(n), checks.Check) for n in bundled)
    with pytest.raises(InputError, match="unknown check 'ibam'; available: age, bic"):
        checks.get("ibam")


def test_a_third_party_check_registers_the_same_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mm: Metamodel
) -> None:
    """A distribution on sys.path with an `instancegen.checks` entry point, as pip installs
    one; a plugin that fails to import, or whose library is missing, warns and leaves the
    others working."""
    (tmp_path / "shout_check.py").write_text(
        "from instancegen.service.core.checks.base import TEXT, ValueCheck\n"
        "shout = ValueCheck('shout', 'text in capitals', TEXT, lambda w, _: 'motto' in w,\n"
        "                   lambda v, _: None if v.isupper() else 'it is not shouted')\n"
        "needy = ValueCheck('needy', 'anything', TEXT, lambda w, _: True, lambda v, _: None,\n"
        "                   needs=('no_such_library_for_instancegen',))\n"
    )
    info = tmp_path / "shout_check-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: shout-check\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[instancegen.checks]\nshout = shout_check:shout\nbroken = no_such_module:thing\n"
        "needy = shout_check:needy\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    checks._registry.cache_clear()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert "shout" in checks.available() and "iban" in checks.available()
        said = [str(w.message) for w in caught]
        assert any("'broken' failed to load" in s for s in said)
        unavailable = "the 'needy' check is unavailable: no_such_library_for_instancegen is not"
        assert any(unavailable in s for s in said) and "needy" not in checks.available()
        annotated = mm.classes["Person"].feature_map["taxId"]
        assert checks.get("shout").check("quiet", checks.Context(
            mm.classes["Student"], annotated, {}, TODAY)) == "it is not shouted"  # fmt: skip
    finally:
        checks._registry.cache_clear()


# --- over a model: audit, validate, CLI ---------------------------------------------------------


def model(**student: Any) -> dict[str, Any]:
    return {
        "objects": [
            {
                "id": "reg",
                "class": "Registry",
                "references": {"people": ["s1"], "accounts": ["a1"]},
            },
            {"id": "s1", "class": "Student", "attributes": student},
            {"id": "a1", "class": "Account", "attributes": {"iban": "DE89370400440532013001"}},
        ]
    }


def test_audit_counts_checked_values_and_carries_what_repair_needs(mm: Metamodel) -> None:
    cim = parse_cim(model(name="Bac University", email="bac@example.org",
                          nickname=["Ann", "Acme Ltd"], age="old"))  # fmt: skip
    result = audit(mm, cim.objects, today=TODAY)
    # name, email, two nicknames, the IBAN; "old" is no int: the validator's bad-value
    assert (result.checked, result.failed) == (5, 3)
    assert result.passed_share == pytest.approx(2 / 5)
    assert [(f.object, f.feature, f.value, f.check) for f in result.findings] == [
        ("s1", "name", "Bac University", "person-name"),
        ("s1", "nickname", "Acme Ltd", "person-name"),
        ("a1", "iban", "DE89370400440532013001", "iban"),
    ]
    assert audit(mm, parse_cim({"objects": []}).objects).passed_share is None


def test_validate_warns_errs_or_stays_silent_as_realism_says(mm: Metamodel) -> None:
    cim = parse_cim(model(name="Alice Schmidt"))
    [issue] = [i for i in validate(mm, cim) if i.code == "unrealistic"]
    assert issue.severity == "warning" and (issue.object, issue.feature) == ("a1", "iban")
    assert issue.message == (
        "Account 'a1': iban = \"DE89370400440532013001\" fails the iban check: its check "
        "digits are wrong (mod 97)."
    )
    assert issue.hint is not None and "spec states" in issue.hint
    strict = [i for i in validate(mm, cim, realism="strict") if i.code == "unrealistic"]
    assert [i.severity for i in strict] == ["error"]
    assert not [i for i in validate(mm, cim, realism="off") if i.code == "unrealistic"]


def test_an_annotation_naming_no_installed_check_is_not_evaluated(mm: Metamodel) -> None:
    found = [i for i in validate(mm, parse_cim(model(taxId="X1"))) if i.code == "not-evaluated"]
    assert [i.severity for i in found] == ["warning"]
    assert "Student.taxId's instancegen annotation names the check 'tax-number'" in found[0].message


def run(*args: str) -> Any:
    return CliRunner().invoke(app, [*args])


def test_cli_validate_realism_strict_turns_the_warning_into_an_error(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps(model(name="Alice Schmidt")))
    warned = run("validate", "-m", str(ECORE), str(path), "--json")
    assert warned.exit_code == 0
    assert [i["code"] for i in json.loads(warned.stdout)] == ["unrealistic"]
    strict = run("validate", "-m", str(ECORE), str(path), "--json", "--realism", "strict")
    assert strict.exit_code == 1
    assert [(i["code"], i["severity"]) for i in json.loads(strict.stdout)] == [
        ("unrealistic", "error")
    ]
    off = run("validate", "-m", str(ECORE), str(path), "--json", "--realism", "off")
    assert off.exit_code == 0 and json.loads(off.stdout) == []
    bad = run("validate", "-m", str(ECORE), str(path), "--realism", "loose")
    assert bad.exit_code == 2


def test_http_validate_takes_realism(tmp_path: Path) -> None:
    body = {"metamodel": {"ecore": ECORE.read_text()}, "instance": model(name="Alice Schmidt")}
    app_ = create_app(Settings(db_path=tmp_path / "realism.db"))
    with ServerThread(app_) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        warned = http.post("/v1/validate", json=body).json()
        assert warned["valid"] is True
        assert [(i["code"], i["severity"]) for i in warned["issues"]] == [
            ("unrealistic", "warning")
        ]
        strict = http.post("/v1/validate", json=body | {"realism": "strict"}).json()
        assert strict["valid"] is False
        assert [(i["code"], i["severity"]) for i in strict["issues"]] == [("unrealistic", "error")]
        bad = http.post("/v1/validate", json=body | {"realism": "loose"})
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")


def test_cli_inspect_names_the_check_of_each_feature(monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI's console reads COLUMNS once, when first imported: set its width itself.
    monkeypatch.setattr(cli_out, "_width", 200)
    result = CliRunner().invoke(app, ["inspect", "-m", str(ECORE)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()

    def line_of(feature: str) -> str:
        return next(line for line in lines if f" {feature};" in line)

    assert "check iban (by name)" in line_of("iban")
    assert "check email, phone (annotated)" in line_of("mailbox")
    assert "check tax-number (not installed) (annotated)" in line_of("taxId")
    assert "check" not in line_of("title")
