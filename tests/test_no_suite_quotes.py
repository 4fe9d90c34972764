"""The code never quotes a suite spec: heuristics stay general, and a frozen case is never
read while tuning. Any capitalised multi-word name or distinctive quoted string of a
`metamodels/suite/*/spec.txt` found in `service/`, `compilers/` or the spec-reading rules'
corpus fails."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# "Vik Line", "Port of Ostby": capitalised words in a row, joined by a connector or none.
_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:[ \t]+(?:(?:of|the|de|von|van|and|&)[ \t]+)?[A-Z][\w'’-]*)+")
_QUOTED = re.compile(r"\"([^\"\n]{2,})\"|“([^”\n]{2,})”")
# A quoted word that is a spec's own: a code, an identifier, a call or a longer proper noun;
# a plain English word ("red", "init", "On") is quoted by specs and code alike.
_DISTINCTIVE = re.compile(r"\s|\d|_|[.()@-]|[a-z][A-Z]|[A-Z]{2}|^[A-Z][a-z]{4,}$")
_SOURCES = (".py", ".java", ".js", ".html", ".css", ".md", ".json", ".txt")


def suite_phrases() -> set[str]:
    """Every capitalised multi-word name and distinctive quoted string of the suite's specs."""
    phrases: set[str] = set()
    for spec in sorted(ROOT.glob("metamodels/suite/*/spec.txt")):
        text = spec.read_text(encoding="utf-8")
        phrases.update(m.group(0) for m in _NAME.finditer(text))
        for m in _QUOTED.finditer(text):
            quoted = (m.group(1) or m.group(2)).strip()
            if _DISTINCTIVE.search(quoted):
                phrases.add(quoted)
    return phrases


def test_the_suite_has_phrases_to_look_for() -> None:
    assert len(suite_phrases()) > 100


def test_no_suite_phrase_in_the_code() -> None:
    phrases = sorted(suite_phrases(), key=len, reverse=True)
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(p) for p in phrases) + r")(?![\w-])")
    code = [p for base in ("service", "compilers") for p in sorted((ROOT / base).rglob("*"))]
    corpus = [  # the rules' own sentences, too
        ROOT / "tests" / "spec_rule_corpus.py",
        *sorted((ROOT / "tests" / "fixtures" / "spec_styles").glob("*.txt")),
    ]
    found = [
        f"{path.relative_to(ROOT)}: {m.group(0)!r}"
        for path in [*code, *corpus]
        if path.is_file() and path.suffix in _SOURCES
        for m in pattern.finditer(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert not found, "suite spec phrases in the code:\n" + "\n".join(found)
