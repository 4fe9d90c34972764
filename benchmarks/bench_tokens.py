"""Token economy of what the LLM writes and reads (o200k_base, GPT-4o's encoding).

    python benchmarks/bench_tokens.py                 # suite + synthetic 500/1000 classes

1. Output tokens per object of each answer form against the XMI of the same model (the
   baseline, measured in the same run): the one-shot `typed` form (objects grouped by class,
   features flattened), the DESIGN.md CIM as compact JSON, and two-phase objects + links.
   Every reference model of the bundled suite, plus generated bank models of 321 and 501
   objects. Goal: the typed form at most 0.9x XMI.
2. Prompt tokens of large synthetic metamodels (benchmarks/synthetic.py): raw `.ecore`, the
   whole Emfatic rendering, and the slice a spec naming a few classes gets.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.report import Figure, add_json_option, write
from benchmarks.synthetic import write_synthetic
from instancegen import compilers
from instancegen.service.core.cim import Cim, CimObject
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.eval.evaluation import discover
from instancegen.service.generation.emfatic import render_metamodel
from instancegen.service.generation.encoding import Grouped
from instancegen.service.generation.slicing import slice_for
from instancegen.service.generation.tokens import count_tokens
from instancegen.service.generation.two_phase.links_schema import plan_links
from instancegen.service.generation.two_phase.objects_schema import declared_objects, objects_answer

ROOT = Path(__file__).resolve().parent.parent


def compact(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def forms(mm: Metamodel, cim: Cim) -> dict[str, int]:
    """Tokens of each answer form of `cim`."""
    xmi = compilers.get("xmi").compile(cim, mm).decode("utf-8")
    plan = plan_links(mm, declared_objects(mm, cim))
    two_phase = compact(objects_answer(mm, cim)) + compact(plan.answer_of(cim))
    return {
        "xmi": count_tokens(xmi),
        "typed": count_tokens(compact(Grouped(mm).encode(cim))),
        "cim": count_tokens(compact(cim.to_json())),
        "two-phase": count_tokens(two_phase),
    }


def bank_model(accounts: int) -> Cim:
    """A bank, `accounts` accounts, one client each (the shape of the scale tests)."""
    kinds = ("CHECKING", "SAVINGS", "CREDIT")
    ids = range(accounts)
    objects = [
        CimObject(
            id="bank",
            class_="Bank",
            attributes={"name": "Big Bank", "bic": "BIGBDEFF"},
            references={"accounts": [f"a{i}" for i in ids], "clients": [f"p{i}" for i in ids]},
        )
    ]
    for i in ids:
        objects.append(
            CimObject(
                id=f"a{i}",
                class_="Account",
                attributes={"iban": f"DE{i:05d}", "balance": float(i * 10), "kind": kinds[i % 3]},
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
    return Cim(objects=objects)


def token_economy() -> list[Figure]:
    rows: list[tuple[str, int, dict[str, int]]] = []
    for case in discover(ROOT / "metamodels" / "suite"):
        if case.rewrite_of is not None:  # a style rewrite: its original's reference again
            continue
        rows.append((case.name, len(case.reference.objects), forms(case.metamodel, case.reference)))
    bank = load_metamodel([ROOT / "metamodels" / "bank" / "bank.ecore"])
    for n in (160, 250):
        cim = bank_model(n)
        rows.append((f"generated bank ({len(cim.objects)})", len(cim.objects), forms(bank, cim)))
    print("output tokens per object (o200k), and ratio to XMI of the same model")
    print(f"{'model':34} {'objs':>5} {'XMI':>6} {'typed':>12} {'CIM JSON':>12} {'two-phase':>12}")
    ratios: dict[str, list[float]] = {"typed": [], "cim": [], "two-phase": []}
    for name, n, t in rows:
        cells = []
        for form in ("typed", "cim", "two-phase"):
            ratio = t[form] / t["xmi"]
            ratios[form].append(ratio)
            cells.append(f"{t[form] / n:5.1f} {ratio:5.2f}x")
        print(f"{name:34} {n:5d} {t['xmi'] / n:6.1f} " + " ".join(f"{c:>12}" for c in cells))
    summary = ", ".join(
        f"{form} {min(r):.2f}-{max(r):.2f}x (median {statistics.median(r):.2f}x)"
        for form, r in ratios.items()
    )
    print(f"ratio to XMI over {len(rows)} models: {summary}")
    return [
        Figure("tokens", f"LLM output tokens, typed form, {name}", t["typed"], t["xmi"],
               "the XMI of the same model", "tokens", "<= 0.9x")
        for name, _, t in rows
    ]  # fmt: skip


SLICE_SPEC = (
    "A C0 holds three C{a} objects, two C{b} objects and one C{c}; each C{a} refers to a C{b}."
)


def slicing(sizes: list[int]) -> list[Figure]:
    count_tokens("warm up")  # the tokenizer loads once, outside the timings
    print("\nmetamodel prompt tokens: raw .ecore, whole Emfatic rendering, slice for a spec")
    print(f"{'classes':>8} {'raw .ecore':>11} {'Emfatic':>9} {'sliced':>8} {'kept':>6} {'ms':>6}")
    figures = []
    for classes in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            paths = write_synthetic(Path(tmp), classes=classes, files=5)
            mm = load_metamodel(paths)
            raw = sum(count_tokens(p.read_text(encoding="utf-8")) for p in paths)
        spec = SLICE_SPEC.format(a=classes // 3 + 1, b=classes // 2 + 1, c=classes - 2)
        started = time.perf_counter()
        cut = slice_for(mm, spec)
        sliced = count_tokens(render_metamodel(cut.metamodel))
        ms = (time.perf_counter() - started) * 1000
        full = count_tokens(render_metamodel(mm))
        print(f"{classes:8d} {raw:11,} {full:9,} {sliced:8,} {len(cut.keys):6d} {ms:6.0f}")
        figures.append(
            Figure("tokens", f"metamodel prompt tokens, {classes} classes, sliced for a spec",
                   sliced, raw, "the raw .ecore files", "tokens")
        )  # fmt: skip
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, nargs="*", default=[500, 1000])
    add_json_option(parser)
    args = parser.parse_args()
    write(args.json, token_economy() + slicing(args.classes))


if __name__ == "__main__":
    main()
