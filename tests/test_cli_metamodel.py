"""`instancegen inspect` and `instancegen schema`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from instancegen.service.backends.base import Capabilities
from instancegen.service.cli import app
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.generation.slicing import slice_for
from instancegen.service.generation.strategy import plan

ROOT = Path(__file__).parent.parent
FIX = Path(__file__).parent / "fixtures" / "ecore"
BANK = str(ROOT / "metamodels" / "bank" / "bank.ecore")
runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_inspect_lists_classes_features_and_token_ratio() -> None:
    code, out, err = run("inspect", "-m", BANK)
    assert code == 0 and err == ""
    for text in (
        "NamedElement",
        "abstract",
        "ref Person[+]#accounts owners;",
        "id attr String[1] iban;",
        "enum AccountKind {CHECKING; SAVINGS; CREDIT;}",
        "schema: typed (3 concrete classes, 24 properties)",
    ):
        assert text in out, text
    ratio_line = next(line for line in out.splitlines() if line.startswith("tokens:"))
    emfatic, raw = (
        int(n.replace(",", "")) for n in ratio_line.split() if n.replace(",", "").isdigit()
    )
    assert 0 < emfatic < raw * 0.19


def test_inspect_shows_warnings_and_several_files() -> None:
    code, out, _ = run("inspect", "-m", str(FIX / "no_nsuri.ecore"))
    assert code == 0 and "warning:" in out and "no nsURI" in out
    code, out, _ = run(
        "inspect", "-m", str(FIX / "multi" / "shop.ecore"), "-m", str(FIX / "multi" / "base.ecore")
    )
    assert code == 0
    assert "interface" in out and "Named, Identified" in out


def test_schema_follows_the_model_and_its_strategy() -> None:
    code, out, err = run("schema", "-m", BANK)
    assert code == 0 and "strategy two-phase" in err and "grammar" in err
    objects = json.loads(out)  # the bundled model: phase 1, bounded per class
    assert objects["properties"]["Account"]["maxItems"] >= 1
    assert "attributes" in json.dumps(objects["$defs"])
    code, typed_out, err = run(
        "schema", "-m", BANK, "--model", "openai/any", "--api-base", "http://127.0.0.1:9/v1"
    )
    assert code == 0 and "strategy typed" in err and "forced tool call" in err
    account = json.loads(typed_out)["$defs"]["Account"]["properties"]
    assert {"id", "iban", "owners"} <= set(account)  # features flattened into the object
    code, strict_out, err = run("schema", "-m", BANK, "--model", "openai/any", "--strict")
    assert code == 0 and "strategy strict" in err and "strict mode" in err
    strict_account = json.loads(strict_out)["$defs"]["Account"]
    assert set(strict_account["required"]) == set(strict_account["properties"])
    _, again, _ = run("schema", "-m", BANK)
    assert again == out
    code, _, err = run("schema", "-m", BANK, "--strategy", "clever")
    assert code == 2 and "unknown strategy 'clever'" in err


def test_bad_metamodel_exits_2_with_one_line() -> None:
    for command in ("inspect", "schema"):
        code, out, err = run(command, "-m", str(FIX / "bad" / "missing_etype.ecore"))
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and "missing_etype.ecore" in err and "Ghost" in err


def test_help_teaches_with_examples() -> None:
    for command in ("inspect", "schema"):
        code, out, _ = run(command, "--help")
        assert code == 0
        assert f"instancegen {command} -m metamodels/bank/bank.ecore" in out
    _, out, _ = run("schema", "--help")
    assert "--strict" in out and "OpenAI" in out


def test_a_metamodel_where_every_class_is_contained_is_sliced_to_its_top() -> None:
    mm = load_metamodel([FIX / "all_contained.ecore"])
    assert "Segment" in slice_for(mm, "").keys  # held only by itself: the top
    tight_caps = Capabilities(
        256, 100, "a context this metamodel overflows", grammar=True, small=True
    )
    tight = plan(mm, "", tight_caps)
    assert tight.slice is not None and "Segment" in tight.metamodel.classes
    schema = tight.first_request()[1].model_json_schema()
    assert "Segment" in schema["properties"]


def test_a_metamodel_without_concrete_classes_is_refused_in_one_sentence() -> None:
    for command in ("schema", "prompt"):
        code, _, err = run(command, "-m", str(FIX / "abstract_only.ecore"), "--spec", "A thing.")
        assert code == 2
        assert err.startswith("error: the metamodel 'abs' has no concrete class")
        assert len(err.strip().splitlines()) == 1
