"""XMI import speed against an lxml parse-and-walk of the same file, side by side in one run.

The file is the bank model from `bench_compile.py`, compiled to XMI. The baseline,
`parse_and_walk`, parses it with the same hardened parser (`service.core.xmlsafe.parse_xml`) and
visits every element of the tree (`iter()`), reading its tag, all of its attributes (names
and values, `items()`) and its text; it keeps nothing. That is the floor any lxml-based
importer pays; an importer also converts every value, resolves every reference and builds the
CIM objects. The script checks that the imported model compiles back to the same file.

Two ways, per size, best of `--repeat`, the runs of ours and of the baseline taken in turns
(so a change in the shared machine's load weighs on both alike), as wall-clock and CPU time
(the steadier figure here), with the ratios, microseconds (CPU) per object (flat = linear) and
the minor page faults taken during the call (fresh memory the kernel maps in):
- fresh: every run in a new `python` that has imported everything, loaded the metamodel and
  read the file, then times the one call: what `instancegen import` pays.
- warm: all runs in this process. The C heap then already holds the memory earlier runs
  freed, so the baseline's tree takes no page faults at all, while the model an import keeps
  (CPython's object arenas are given back to the system when freed) takes them every time:
  this ratio is the less favourable one.

    python benchmarks/bench_import.py                        # 25k .. 200k objects
    python benchmarks/bench_import.py --sizes 20000 --repeat 1
    python benchmarks/bench_import.py --plain                # the plain Python importer

It measures whichever importer `compilers.import_core` chooses (the compiled accelerator when
it is built, and says so); `--plain` sets INSTANCEGEN_PURE_PYTHON for every run.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compile import BANK, bank_cim, best
from report import Figure, add_json_option, write

ONE_RUN = """
import resource, sys, time
sys.path.insert(0, sys.argv[1])
from bench_import import parse_and_walk
from instancegen import compilers
from instancegen.service.core.ecore_loader import load_metamodel
from bench_compile import BANK
mm = load_metamodel([BANK])
importer = compilers.get_importer("xmi")
data = open(sys.argv[3], "rb").read()
run = (lambda: importer.read(data, "model.xmi", mm)) if sys.argv[2] == "ours" else (
    lambda: parse_and_walk(data)
)
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
wall, cpu = time.perf_counter(), time.process_time()
result = run()
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print(wall, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults)
"""


def parse_and_walk(data: bytes) -> int:
    """Parse with the hardened parser, then read every element's tag, attributes and text."""
    from instancegen.service.core.xmlsafe import parse_xml

    seen = 0
    for el in parse_xml(data, "model.xmi").getroot().iter():
        tag, items, text = el.tag, el.items(), el.text
        seen += len(items) + (tag is not None) + (text is not None)
    return seen


Run = tuple[float, float, int]  # wall-clock s, CPU s, minor page faults


def in_turns(ours: Callable[[], Run], base: Callable[[], Run], repeat: int) -> tuple[Run, Run]:
    """The best of each (each figure on its own), their runs taken in turns."""
    runs = [(ours(), base()) for _ in range(repeat)]
    return (
        (min(o[0] for o, _ in runs), min(o[1] for o, _ in runs), min(o[2] for o, _ in runs)),
        (min(b[0] for _, b in runs), min(b[1] for _, b in runs), min(b[2] for _, b in runs)),
    )


def warm_run(fn: Callable[[], object]) -> Run:
    """One run in this process; the result is freed after the clock stops."""
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    wall, cpu = best(fn, 1)
    return wall, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults


def fresh_run(which: str, path: Path) -> Run:
    """One import or baseline run in a new process."""
    here = str(Path(__file__).resolve().parent)
    out = subprocess.run(
        [sys.executable, "-c", ONE_RUN, here, which, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), float(out[1]), int(out[2])


def row(label: str, n: int, ours: Run, base: Run) -> str:
    return (
        f"{label:>6} {ours[0]:>8.3f} {base[0]:>7.3f} {ours[0] / base[0]:>5.2f}x "
        f"{ours[1]:>10.3f} {base[1]:>8.3f} {ours[1] / base[1]:>5.2f}x {ours[1] / n * 1e6:>7.2f} "
        f"{ours[2]:>7} {base[2]:>7}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[25_000, 50_000, 100_000, 200_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--plain", action="store_true", help="measure the plain Python importer")
    add_json_option(parser)
    args = parser.parse_args()
    figures: list[Figure] = []
    if args.plain:
        os.environ["INSTANCEGEN_PURE_PYTHON"] = "1"  # inherited by the fresh processes too

    from instancegen import compilers
    from instancegen.compilers import import_core
    from instancegen.service.core.cim import parse_cim
    from instancegen.service.core.ecore_loader import load_metamodel

    mm = load_metamodel([BANK])
    importer = compilers.get_importer("xmi")
    why = import_core.plain_reason
    print(f"importer: {'compiled accelerator' if why is None else f'plain Python ({why})'}")
    print(
        f"{'objects':>9} {'MB':>5} {'run':>6} {'import s':>8} {'walk s':>7} {'ratio':>6} "
        f"{'import CPU':>10} {'walk CPU':>8} {'ratio':>6} {'us/obj':>7} {'faults':>7} {'(walk)':>7}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            cim = parse_cim(bank_cim(n))
            data = compilers.get("xmi").compile(cim, mm)
            if compilers.get("xmi").compile(importer.read(data, "model.xmi", mm), mm) != data:
                raise SystemExit("the imported model does not compile back to the same file")
            path = Path(tmp) / f"bank{n}.xmi"
            path.write_bytes(data)
            ours, base = in_turns(
                partial(fresh_run, "ours", path), partial(fresh_run, "base", path), args.repeat
            )
            print(f"{n:>9,} {len(data) / 1e6:>5.1f} {row('fresh', n, ours, base)}")
            way = "accelerated" if why is None else "plain Python"
            figures.append(
                Figure("import", f"import {n:,} objects from XMI, {way}, fresh process (CPU)",
                       ours[1], base[1], "lxml parse and walk", "s",
                       "<= 1.5x" if why is None else "<= 4x")
            )  # fmt: skip
            ours, base = in_turns(
                partial(warm_run, partial(importer.read, data, "model.xmi", mm)),
                partial(warm_run, partial(parse_and_walk, data)),
                args.repeat,
            )
            print(f"{'':>9} {'':>5} {row('warm', n, ours, base)}")
    write(args.json, figures)


if __name__ == "__main__":
    main()
