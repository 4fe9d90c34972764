"""Generation with the bundled local model on every bundled metamodel.

Per case: validity rate over --runs runs, attempts used, tokens in/out, seconds per run, and
the metamodel's size in the prompt (Emfatic text) against the raw .ecore files (tokens,
o200k_base). Greedy decoding (temperature 0) makes repeated runs identical unless an
unparseable answer forces a warmer retry, so --runs 1 already gives the rate.

    python benchmarks/bench_generate.py [--runs 5] [--max-repairs 3] [--cases bank,petri]
"""

from __future__ import annotations

import argparse
import statistics
import time
from importlib.resources import files
from pathlib import Path

from instancegen import generate
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import BackendError
from instancegen.service.generation.emfatic import render_metamodel
from instancegen.service.generation.tokens import count_tokens


def cases() -> list[tuple[str, Path]]:
    """Every bundled case directory holding an .ecore and a spec.txt."""
    root = Path(str(files("instancegen.metamodels")))
    found = [d for d in [root / "bank", *sorted((root / "suite").iterdir())] if d.is_dir()]
    return [(str(d.relative_to(root)), d) for d in found if (d / "spec.txt").is_file()]


def _mean(xs: list[float] | list[int]) -> float:
    return statistics.fmean(xs) if xs else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-repairs", type=int, default=3)
    parser.add_argument("--cases", default="", help="comma-separated substrings of case names")
    args = parser.parse_args()
    wanted = [w for w in args.cases.split(",") if w]
    print(
        f"{'case':34} {'valid':>7} {'attempts':>8} {'tok in':>7} {'tok out':>7} {'s/run':>6} "
        f"{'mm tok':>6} {'ecore tok':>9} {'ratio':>6}"
    )
    totals = {"valid": 0, "runs": 0}
    for name, folder in cases():
        if wanted and not any(w in name for w in wanted):
            continue
        ecores = sorted(folder.glob("*.ecore"))
        mm = load_metamodel(ecores)
        spec = (folder / "spec.txt").read_text(encoding="utf-8")
        emfatic = count_tokens(render_metamodel(mm))
        raw = sum(count_tokens(e.read_text(encoding="utf-8")) for e in ecores)
        valid, attempts, tok_in, tok_out, seconds = 0, [], [], [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            try:
                result = generate(mm, spec, max_repairs=args.max_repairs)
            except BackendError as exc:
                print(f"  {name}: backend failed: {exc.message}")
                continue
            seconds.append(time.perf_counter() - started)
            valid += result.status == "valid"
            attempts.append(len(result.attempts))
            tok_in.append(result.usage.prompt_tokens)
            tok_out.append(result.usage.completion_tokens)
        totals["valid"] += valid
        totals["runs"] += args.runs

        print(
            f"{name:34} {valid:>3}/{args.runs:<3} {_mean(attempts):>8.1f} "
            f"{_mean(tok_in):>7.0f} {_mean(tok_out):>7.0f} {_mean(seconds):>6.1f} "
            f"{emfatic:>6} {raw:>9} {emfatic / raw:>6.1%}",
            flush=True,
        )
    if totals["runs"]:
        rate = totals["valid"] / totals["runs"]
        print(f"overall validity: {totals['valid']}/{totals['runs']} ({rate:.0%})")


if __name__ == "__main__":
    main()
