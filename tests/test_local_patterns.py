"""Schemas reach llama.cpp as grammars it can parse and that keep their order: escapes outside
a character class (`\\.`, `\\@`, `\\d`) used to crash the process when the model sampled,
and properties sorted by name made the model write an entry's attributes before its id."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date

import pytest
from pydantic import BaseModel

from instancegen.service.backends.local_patterns import grammar_pattern, grammar_ready
from instancegen.service.core import checks
from instancegen.service.core.ecore_loader import load_metamodel

PATTERNS = [
    r"^[a-z0-9]{1,12}([._-][a-z0-9]{1,12})?@[a-z0-9]{1,16}(-[a-z0-9]{1,8})?\.[a-z]{2,6}$",
    r"^\d{3}\.\d{2}/\w+$",
    r"^[\d.]+\s[A-Z]\_\@\#$",
    r"^(a|b)\(c\)\*$",
]
SAMPLES = [
    "ann@example.org",
    "ann.lee@mail-box.example",
    "ann@@example.org",
    "123.45/abc_9",
    "123x45/abc",
    "1.5 Q_@#",
    "1.5\tQ_@#",
    "15 q_@#",
    "a(c)*",
    "b(c)",
    "",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_rewritten_pattern_matches_what_the_original_matches(pattern: str) -> None:
    rewritten = grammar_pattern(pattern)
    assert rewritten is not None
    assert "\\." not in rewritten and "\\d" not in rewritten
    for text in SAMPLES:
        assert bool(re.fullmatch(pattern, text)) == bool(re.fullmatch(rewritten, text)), text


@pytest.mark.parametrize("pattern", [r"^[^@]+$", r"^.+$", r"^\S+$", r"^[^0-9]{1,9}$"])
def test_negated_classes_and_dots_leave_out_what_would_end_the_json_string(pattern: str) -> None:
    """The grammar spells JSON text: a raw quote there ends the string, a backslash starts an
    escape, so neither may be one more character of the value."""
    rewritten = grammar_pattern(pattern)
    assert rewritten is not None
    assert re.fullmatch(pattern, "AnnLee") and re.fullmatch(rewritten, "AnnLee")
    for text in ('Ann"', "Ann\\"):
        assert re.fullmatch(pattern, text) and not re.fullmatch(rewritten, text), text


def test_a_pattern_no_class_can_say_is_left_out_of_the_grammar() -> None:
    schema = {"type": "object", "properties": {"w": {"type": "string", "pattern": r"^\bx$"}}}
    assert grammar_ready(schema) == {"type": "object", "properties": {"w": {"type": "string"}}}


def _checks_patterns() -> list[str]:
    """The patterns the bundled checks hold values to, on a class with every kind of
    attribute they know (a person's name, an e-mail, a code, a birth date)."""
    mm = load_metamodel(
        {
            "p.ecore": """<?xml version="1.0" encoding="UTF-8"?>
<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore" name="p" nsURI="urn:p" nsPrefix="p">
  <eClassifiers xsi:type="ecore:EClass" name="Person">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="name"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="email"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="code"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="birthDate"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
  </eClassifiers>
</ecore:EPackage>"""
        }
    )
    person = mm.classes["Person"]
    found = []
    for attribute in person.attributes:
        shape = checks.writable(person, attribute, date(2026, 12, 7))
        if "pattern" in shape:
            found.append(shape["pattern"])
    return found


def test_the_checks_patterns_become_grammars_the_bundled_model_samples_under(
    local_model: None,
) -> None:
    """Each check's pattern, as the local backend compiles it, in a process of its own (a
    grammar llama.cpp cannot parse ends the process): the model writes a value it matches."""
    patterns = _checks_patterns()
    assert len(patterns) >= 3, patterns
    script = """
import json, sys
from pydantic import create_model, Field
from typing import Annotated
from instancegen.service.backends.local import LocalBackend
backend = LocalBackend()
for pattern in json.loads(sys.argv[1]):
    model = create_model("Value", value=(Annotated[str, Field(pattern=pattern)], ...))
    reply = backend.complete(
        [{"role": "user", "content": "Write one value as JSON."}], schema=model, max_tokens=60
    )
    print(json.dumps(json.loads(reply.text)["value"]))
"""
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(patterns)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    values = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(values) == len(patterns)
    for pattern, value in zip(patterns, values, strict=True):
        assert re.fullmatch(pattern, value), (pattern, value)


def test_the_grammar_keeps_the_schemas_property_order(local_model: None) -> None:
    """Phase 1 puts an entry's id first so that what a small model writes first leads it to
    the matching values; the grammar must ask for the properties in that order."""
    from instancegen.service.backends.local import _grammar

    class Entry(BaseModel):
        zeta: str
        alpha: int

    root = next(line for line in _grammar(Entry)._grammar.splitlines() if line.startswith("root"))
    assert root.index("zeta-kv") < root.index("alpha-kv"), root
