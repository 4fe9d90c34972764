"""Metamodel load time and conceptual-schema derivation time on a large synthetic metamodel.

    python benchmarks/bench_schema.py                 # 500 classes in 5 files
    python benchmarks/bench_schema.py --classes 100   # quicker

Baseline, measured in the same run: parsing the same files with lxml alone (what any loader
must at least do). Schema figures: the automatic choice (generic when the typed schema would
exceed the limits), the typed schema forced, and a cached repeat.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.report import Figure, add_json_option, write
from benchmarks.synthetic import write_synthetic
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.generation import schema as schema_mod
from instancegen.service.generation.schema import SchemaOptions, conceptual_schema, measure_schema


def best_of(runs: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of `runs` timings (least disturbed by other load) and the last result."""
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=500)
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    add_json_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_synthetic(Path(tmp), classes=args.classes, files=args.files, depth=args.depth)
        size = sum(p.stat().st_size for p in paths)
        parse_s, _ = best_of(args.runs, lambda: [etree.parse(str(p)) for p in paths])
        load_s, mm = best_of(args.runs, lambda: load_metamodel(paths))

    def fresh(options: SchemaOptions) -> Callable[[], dict[str, Any]]:
        def run() -> dict[str, Any]:
            schema_mod._CACHE.clear()  # measure derivation, not the cache
            return conceptual_schema(mm, options=options)

        return run

    auto_s, auto = best_of(args.runs, fresh(SchemaOptions()))
    strict_s, _ = best_of(args.runs, fresh(SchemaOptions(strict=True)))
    typed_s, typed = best_of(1, fresh(SchemaOptions(variant="typed")))
    conceptual_schema(mm)  # fill the cache
    cached_s, _ = best_of(args.runs, lambda: conceptual_schema(mm))
    depth = max(len(c.all_supertypes) for c in mm.classes.values())
    print(
        f"metamodel: {len(mm.classes)} classes ({len(mm.concrete_classes)} concrete) in "
        f"{len(paths)} files, {size / 1024:.0f} KiB, up to {depth} supertypes per class"
    )
    print(f"lxml parse only (baseline) {parse_s * 1000:8.1f} ms")
    print(f"load_metamodel             {load_s * 1000:8.1f} ms  ({load_s / parse_s:.0f}x baseline)")
    print(
        f"schema, automatic          {auto_s * 1000:8.1f} ms  variant "
        f"{schema_mod.schema_variant(mm)}, {len(json.dumps(auto)) / 1024:.0f} KiB"
    )
    print(f"schema, strict             {strict_s * 1000:8.1f} ms")
    typed_size = measure_schema(typed)
    print(
        f"schema, typed forced       {typed_s * 1000:8.1f} ms  {typed_size.properties} "
        f"properties, {len(json.dumps(typed)) / 1024:.0f} KiB"
    )
    print(f"schema, cached repeat      {cached_s * 1000:8.3f} ms")
    what = f"{len(mm.classes)} classes in {len(paths)} files"
    write(
        args.json,
        [
            Figure("schema", f"load_metamodel, {what}", load_s * 1e3, parse_s * 1e3,
                   "lxml parse of the same files", "ms"),
            Figure("schema", f"conceptual schema (automatic), {what}", auto_s * 1e3,
                   parse_s * 1e3, "lxml parse of the same files", "ms"),
        ],
    )  # fmt: skip


if __name__ == "__main__":
    main()
