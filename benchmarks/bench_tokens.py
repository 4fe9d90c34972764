"""Token economy of what the LLM writes and reads.

    python benchmarks/bench_tokens.py                 # suite + generated models, 500/1000 classes

1. Output tokens of each answer form against the XMI of the same model (the baseline,
   measured in the same run), counted with the tokenizer of each model in use: o200k_base
   (OpenAI's models, which get the typed and strict forms) and the bundled GGUF's own
   tokenizer (read with llama-cpp-python, `vocab_only`: no weights loaded). The forms: the
   one-shot `typed` form as a model writes it (objects grouped by class, contained objects in
   place, an id only where a reference names one), the same with every id written (what a
   repair is shown), the DESIGN.md CIM as compact JSON, and two-phase objects + links (the
   bundled model's strategy). Every reference model of the bundled suite (originals), two
   generated bank models (321 and 501 objects) and a generated model of 300 objects over the
   500-class synthetic metamodel (benchmarks/synthetic.py). Goal: the typed form at most 0.9x
   the XMI on every model.
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
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.report import Figure, add_json_option, write
from benchmarks.synthetic import synthetic_instance, write_synthetic
from instancegen import compilers
from instancegen.service.core.cim import Cim, CimObject
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import BackendError
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.eval.evaluation import discover
from instancegen.service.generation.emfatic import render_metamodel
from instancegen.service.generation.encoding import Grouped
from instancegen.service.generation.slicing import slice_for
from instancegen.service.generation.tokens import count_tokens
from instancegen.service.generation.two_phase.links_schema import plan_links
from instancegen.service.generation.two_phase.objects_schema import declared_objects, objects_answer

ROOT = Path(__file__).resolve().parent.parent
FORMS = ("typed", "typed, all ids", "cim", "two-phase")
Counter = Callable[[str], int]


def compact(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def tokenizers() -> dict[str, Counter]:
    """The tokenizers of the models in use: o200k (OpenAI's), and the bundled GGUF's own
    when llama-cpp-python and the weights are installed."""
    found: dict[str, Counter] = {"o200k": count_tokens}
    try:
        from llama_cpp import Llama

        from instancegen.service.backends.local import weights_path

        vocab = Llama(model_path=str(weights_path()), vocab_only=True, verbose=False)
    except (ImportError, BackendError, ValueError) as exc:  # reported; o200k still measured
        print(f"(the bundled model's tokenizer is not available: {exc})")
        return found

    def gguf(text: str) -> int:
        return len(vocab.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    found["SmolLM2 GGUF"] = gguf
    return found


def texts(mm: Metamodel, cim: Cim) -> dict[str, str]:
    """Each answer form of `cim` as text, and its XMI."""
    plan = plan_links(mm, declared_objects(mm, cim))
    grouped = Grouped(mm)
    return {
        "xmi": compilers.get("xmi").compile(cim, mm).decode("utf-8"),
        "typed": compact(grouped.encode(cim, ids="needed")),
        "typed, all ids": compact(grouped.encode(cim)),
        "cim": compact(cim.to_json()),
        "two-phase": compact(objects_answer(mm, cim)) + compact(plan.answer_of(cim)),
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


def models(tmp: Path) -> list[tuple[str, Metamodel, Cim]]:
    """The models measured: the suite's references, generated banks, a synthetic model."""
    rows = [
        (case.name, case.metamodel, case.reference)
        for case in discover(ROOT / "metamodels" / "suite")
        if case.rewrite_of is None  # a style rewrite: its original's reference again
    ]
    bank = load_metamodel([ROOT / "metamodels" / "bank" / "bank.ecore"])
    for n in (160, 250):
        cim = bank_model(n)
        rows.append((f"generated bank ({len(cim.objects)})", bank, cim))
    synthetic = load_metamodel(write_synthetic(tmp, classes=500, files=5))
    cim = synthetic_instance(synthetic, objects=300)
    rows.append((f"generated synthetic ({len(cim.objects)})", synthetic, cim))
    return rows


def token_economy() -> list[Figure]:
    counters = tokenizers()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [(name, len(cim.objects), texts(mm, cim)) for name, mm, cim in models(Path(tmp))]
    figures = []
    for tokenizer, count in counters.items():
        print(f"\noutput tokens per object ({tokenizer}), and ratio to the XMI of the same model")
        print(f"{'model':34} {'objs':>5} {'XMI':>6} " + " ".join(f"{f:>15}" for f in FORMS))
        ratios: dict[str, list[float]] = {form: [] for form in FORMS}
        for name, n, text in rows:
            tokens = {form: count(t) for form, t in text.items()}
            cells = []
            for form in FORMS:
                ratio = tokens[form] / tokens["xmi"]
                ratios[form].append(ratio)
                cells.append(f"{tokens[form] / n:7.1f} {ratio:5.2f}x")
            print(
                f"{name:34} {n:5d} {tokens['xmi'] / n:6.1f} " + " ".join(f"{c:>15}" for c in cells)
            )
            figures.append(
                Figure("tokens", f"LLM output tokens ({tokenizer}), typed form, {name}",
                       tokens["typed"], tokens["xmi"], "the XMI of the same model", "tokens",
                       "<= 0.9x")
            )  # fmt: skip
        summary = ", ".join(
            f"{form} {min(r):.2f}-{max(r):.2f}x (median {statistics.median(r):.2f}x)"
            for form, r in ratios.items()
        )
        print(f"ratio to XMI over {len(rows)} models: {summary}")
    return figures


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
