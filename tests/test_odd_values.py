"""Every value is an answer, never a crash: odd strings (lone surrogates, NUL and other
characters XML cannot hold, right-to-left marks, a megabyte of text, markup) as an attribute
value and as an object id give findings or a written model, through the CLI (exit 0 or 1,
never 4) and over HTTP (200 or 4xx, never 5xx). Findings echo such values escaped; a model
that passes is one EMF loads.

The CLI runs in-process through its error boundary (`main`) with stdout and stderr encoding
UTF-8 strictly, as a terminal or a pipe does."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from http_support import BANK_ECORE, scripted_client

from instancegen.service.cli import main
from instancegen.service.eval.emf_judge import EmfModelResult
from instancegen.service.http import Settings

ODD = {
    "lone-high-surrogate": "\ud800",
    "lone-low-surrogate": "x\udfff",
    "nul": "a\x00b",
    "control-characters": "a\x01\x1b[31m\x7f",
    "non-character": "a\ufffe",
    "right-to-left": "\u202eevil\u200f",
    "byte-order-mark": "\ufeffname",
    "markup": "[bold]x[/] <a b='c'>&amp;\"\\",
    "line-breaks": "two\nlines\r\n",
    "one-megabyte": "x" * 1_000_000,
    "emoji": "\U0001f3e6 bank",
    "empty": "",
}
ODD_IDS = {
    **ODD,
    "hash": "a#b",
    "spaces": " a b ",
    "leading-slash": "/alice",
    "two-queries": "a?b?",
    "digits": "42",
    "xml-name-breaker": "1-<x>",
}
FORMATS = ("xmi", "json", "cim", "dot")
UNWRITABLE = ("lone-high-surrogate", "lone-low-surrogate", "nul", "control-characters")
UNWRITABLE += ("non-character",)


def bank(name: str = "Bank", person: str = "alice") -> dict[str, Any]:
    """A valid bank whose name is `name` and whose one client has the id `person`."""
    return {
        "objects": [
            {
                "id": "db",
                "class": "Bank",
                "attributes": {"name": name},
                "references": {"accounts": ["acc"], "clients": [person]},
            },
            {
                "id": "acc",
                "class": "Account",
                "attributes": {"iban": "DE01"},
                "references": {"owners": [person]},
            },
            {"id": person, "class": "Person", "attributes": {"name": "Alice"}, "references": {}},
        ]
    }


def cases() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for label, value in ODD.items():
        yield "value", label, bank(name=value)
    for label, value in ODD_IDS.items():
        yield "id", label, bank(person=value)


CASES = [pytest.param(w, label, cim, id=f"{w}-{label}") for w, label, cim in cases()]


def cli(*args: str) -> tuple[int, str, str]:
    """`instancegen ARGS` in-process; stdout and stderr encode UTF-8 strictly."""
    out, err = io.BytesIO(), io.BytesIO()
    saved = sys.argv, sys.stdout, sys.stderr
    sys.argv = ["instancegen", *args]
    sys.stdout = text_out = io.TextIOWrapper(out, encoding="utf-8", errors="strict")
    sys.stderr = text_err = io.TextIOWrapper(err, encoding="utf-8", errors="strict")
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv, sys.stdout, sys.stderr = saved
        for stream in (text_out, text_err):
            stream.flush()
            stream.detach()
    return code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8")


def expected_valid(where: str, label: str) -> bool:
    return label not in UNWRITABLE and not (where == "id" and label == "hash")


@pytest.mark.parametrize(("where", "label", "model"), CASES)
def test_cli_validate_and_compile_answer(
    where: str, label: str, model: dict[str, Any], tmp_path: Path
) -> None:
    given = tmp_path / "model.json"
    given.write_text(json.dumps(model), encoding="utf-8")  # escapes what UTF-8 cannot hold
    valid = expected_valid(where, label)
    code, out, err = cli("validate", "-m", str(BANK_ECORE), str(given), "--json")
    assert code == (0 if valid else 1), err
    findings = json.loads(out)
    assert not valid or not [f for f in findings if f["severity"] == "error"]
    code, out, err = cli("validate", "-m", str(BANK_ECORE), str(given))
    assert code == (0 if valid else 1), err
    for fmt in FORMATS:
        written = tmp_path / f"out.{fmt}"
        code, _, err = cli(
            "compile", "-m", str(BANK_ECORE), str(given), "--format", fmt, "-o", str(written)
        )
        assert code == (0 if valid else 1), (fmt, err)
        assert written.exists() == valid, fmt


@pytest.mark.parametrize("label", UNWRITABLE)
def test_findings_echo_unwritable_values_escaped(label: str, tmp_path: Path) -> None:
    value = ODD[label]
    for model in (bank(name=value), bank(person=value)):
        given = tmp_path / "model.json"
        given.write_text(json.dumps(model), encoding="utf-8")
        code, out, _ = cli("validate", "-m", str(BANK_ECORE), str(given), "--json")
        assert code == 1
        (finding,) = (f for f in json.loads(out) if f["code"] == "bad-value")
        shown = json.dumps(finding, ensure_ascii=False)
        assert shown.isprintable(), shown  # escaped: nothing raw a terminal would act on
        assert "\\\\u" in shown or "\\\\x" in shown


def test_a_forced_compile_of_unwritable_values_is_refused_or_escaped(tmp_path: Path) -> None:
    given = tmp_path / "model.json"
    given.write_text(json.dumps(bank(name="\ud800")), encoding="utf-8")
    code, _, err = cli("compile", "-m", str(BANK_ECORE), str(given), "--format", "xmi", "--force")
    assert code == 2 and "cannot be written as XML" in err
    for fmt in ("json", "cim"):
        out = tmp_path / f"forced.{fmt}"
        code, _, err = cli(
            "compile", "-m", str(BANK_ECORE), str(given), "--format", fmt, "--force", "-o", str(out)
        )
        assert code == 0, err
        assert "\ud800" in json.dumps(json.loads(out.read_text()), ensure_ascii=False)


def test_every_accepted_odd_model_loads_in_emf(
    tmp_path: Path, emf: Callable[[Sequence[Path], Sequence[Path]], list[EmfModelResult]]
) -> None:
    written = []
    for n, (where, label, model) in enumerate(cases()):
        if not expected_valid(where, label):
            continue
        given = tmp_path / f"{n}.json"
        given.write_text(json.dumps(model), encoding="utf-8")
        target = tmp_path / f"{where}-{label}.xmi"
        code, _, err = cli("compile", "-m", str(BANK_ECORE), str(given), "-o", str(target))
        assert code == 0, err
        written.append(target)
    for result in emf([BANK_ECORE], written):
        assert result.ok, (result.file, result.errors)


# --- HTTP ---------------------------------------------------------------------------------


def post(client: httpx.Client, url: str, body: dict[str, Any]) -> httpx.Response:
    """POST `body` as JSON text with escapes, as any client may send a lone surrogate."""
    return client.post(
        url, content=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    db = tmp_path_factory.mktemp("odd") / "api.db"
    with scripted_client(Settings(db_path=db), timeout=120) as c:
        yield c


@pytest.mark.parametrize(("where", "label", "model"), CASES)
def test_http_validate_and_compile_answer(
    where: str, label: str, model: dict[str, Any], client: httpx.Client
) -> None:
    metamodel = {"ecore": BANK_ECORE.read_text()}
    valid = expected_valid(where, label)
    response = post(client, "/v1/validate", {"metamodel": metamodel, "instance": model})
    assert response.status_code == 200, response.text
    assert response.json()["valid"] is valid
    for fmt in FORMATS:
        body = {"metamodel": metamodel, "instance": model, "format": fmt}
        response = post(client, "/v1/compile", body)
        assert response.status_code == (200 if valid else 422), (fmt, response.text[:300])


@pytest.mark.parametrize("label", sorted(ODD))
def test_http_import_of_an_odd_document_answers(label: str, client: httpx.Client) -> None:
    value = ODD[label]
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<bank:Bank xmi:version="2.0" '
        'xmlns:xmi="http://www.omg.org/XMI" xmlns:bank="http://instancegen.example/bank" '
        f'name="{value}"/>'
    )
    body = {"metamodel": {"ecore": BANK_ECORE.read_text()}, "instance": document}
    response = post(client, "/v1/import", body)
    assert response.status_code in (200, 422), response.text[:300]
    if response.status_code == 422:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"].isprintable()


@pytest.mark.parametrize("label", UNWRITABLE)
def test_http_edits_and_uploads_with_unwritable_text_answer(
    label: str, client: httpx.Client
) -> None:
    value = ODD[label]
    ecore = BANK_ECORE.read_text()
    edit = {"op": "set", "id": "db", "feature": "name", "value": value}
    body = {"metamodel": {"ecore": ecore}, "instance": bank(), "edits": [edit]}
    response = post(client, "/v1/edit", body)
    assert response.status_code in (200, 422), response.text[:300]
    assert "\\u" in response.text or "\\x" in response.text  # the value, escaped
    upload = {"metamodel": {"ecore": ecore.replace("Deutsche", value)}, "instance": bank()}
    upload["metamodel"]["ecore"] = ecore.replace('name="bank"', f'name="bank{value}"')
    response = post(client, "/v1/validate", upload)
    assert response.status_code == 422, response.text[:300]
    assert response.json()["detail"].isprintable()


def test_a_spec_no_llm_request_can_carry_is_refused_before_any_call(
    tmp_path: Path, client: httpx.Client
) -> None:
    spec = "A bank \udcff named X"  # what a command line makes of a byte that is not UTF-8
    code, _, err = cli("generate", "-m", str(BANK_ECORE), "--spec", spec, "-o", str(tmp_path / "x"))
    assert code == 2 and "lone surrogate (U+DCFF) at character 8" in err
    body = {"metamodel": {"ecore": BANK_ECORE.read_text()}, "spec": spec}
    for path in ("/v1/generate", "/v1/jobs"):
        response = post(client, path, body)
        assert response.status_code == 422, response.text[:300]
        assert response.json()["detail"].startswith("spec: ")
