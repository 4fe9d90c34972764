"""XMI compile speed against plain lxml (and pyecore), measured side by side in one run.

The model is the bundled bank metamodel: one Bank holding N/2 accounts and N/2 clients, every
account owned by one client (both eOpposite ends given). The baseline, `lxml_baseline`, is a
plain lxml script written for this one metamodel: from the same decoded JSON it builds the
same element tree (`SubElement` per object, attributes set, references spelled as EMF's
fragments and iD values) and serializes it with `etree.tostring(pretty_print=True)`; the run
checks that its bytes equal ours, so both produce the very same document. Reported, best of
`--repeat`, as wall-clock and as CPU time (the machine is shared, so CPU time is the steadier
comparison):
- in-process, per size: `compilers.get("xmi").compile(cim, mm)` against `lxml_baseline`;
  the ratios, and microseconds (CPU) per object (flat = linear);
- whole process at the largest size, each a fresh `python`: ours does what `instancegen
  compile` does (load the metamodel, read the CIM JSON file, validate, compile, write the file
  atomically) without the CLI's own start-up; the baseline reads the JSON and writes the
  file with `lxml_baseline`; with the CPU seconds each step took (start-up and imports
  included in the first);
- pyecore's own build (dynamic EObjects) + XMI save at `--pyecore-size`, against ours.

    python benchmarks/bench_compile.py                       # 25k .. 200k objects
    python benchmarks/bench_compile.py --sizes 20000 --repeat 1 --pyecore-size 5000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from lxml import etree
from report import Figure, add_json_option, write

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "metamodels" / "bank" / "bank.ecore"
NS = "http://instancegen.example/bank"
XMI_NS = "http://www.omg.org/XMI"
KINDS = ("CHECKING", "SAVINGS", "CREDIT")


def bank_cim(n: int) -> dict[str, Any]:
    """A valid CIM of n objects (1 bank, accounts and clients half each)."""
    half = (n - 1) // 2
    objects: list[dict[str, Any]] = [
        {
            "id": "bank",
            "class": "Bank",
            "attributes": {"name": "Big Bank", "bic": "BIGBDEFF"},
            "references": {
                "accounts": [f"a{i}" for i in range(half)],
                "clients": [f"p{i}" for i in range(half)],
            },
        }
    ]
    objects += [
        {
            "id": f"a{i}",
            "class": "Account",
            "attributes": {"iban": f"DE{i:08d}", "balance": i * 1.5, "kind": KINDS[i % 3]},
            "references": {"owners": [f"p{i}"]},
        }
        for i in range(half)
    ]
    objects += [
        {
            "id": f"p{i}",
            "class": "Person",
            "attributes": {"name": f"Person {i}", "email": f"p{i}@example.org"},
            "references": {"accounts": [f"a{i}"]},
        }
        for i in range(half)
    ]
    return {"objects": objects}


def lxml_baseline(doc: dict[str, Any]) -> bytes:
    """The same XMI tree, written by hand for this one metamodel with lxml alone."""
    objs = doc["objects"]
    bank = objs[0]
    root = etree.Element(f"{{{NS}}}Bank", nsmap={"xmi": XMI_NS, "bank": NS})
    root.set(f"{{{XMI_NS}}}version", "2.0")
    root.set("name", bank["attributes"]["name"])
    root.set("bic", bank["attributes"]["bic"])
    by_id = {o["id"]: o for o in objs}
    client_index = {pid: i for i, pid in enumerate(bank["references"]["clients"])}
    for aid in bank["references"]["accounts"]:
        a = by_id[aid]["attributes"]
        el = etree.SubElement(root, "accounts")
        el.set("iban", a["iban"])
        if a["balance"]:
            el.set("balance", repr(float(a["balance"])))
        if a["kind"] != "CHECKING":
            el.set("kind", a["kind"])
        el.set(
            "owners",
            " ".join(f"//@clients.{client_index[p]}" for p in by_id[aid]["references"]["owners"]),
        )
    for pid in bank["references"]["clients"]:
        p = by_id[pid]
        el = etree.SubElement(root, "clients")
        el.set("name", p["attributes"]["name"])
        el.set("email", p["attributes"]["email"])
        el.set(
            "accounts",
            " ".join(by_id[a]["attributes"]["iban"] for a in p["references"]["accounts"]),
        )
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(
        root, encoding="UTF-8", pretty_print=True
    )


def pyecore_build_and_save(doc: dict[str, Any], out: Path) -> None:
    """pyecore's way: dynamic EObjects from the loaded .ecore, then its XMI resource save."""
    from pyecore.resources import URI, ResourceSet

    rset = ResourceSet()
    pkg = rset.get_resource(URI(str(BANK))).contents[0]
    rset.metamodel_registry[pkg.nsURI] = pkg
    classes = {c.name: c for c in pkg.eClassifiers}
    made = {}
    for o in doc["objects"]:
        obj = classes[o["class"]]()
        for k, v in o["attributes"].items():
            if k == "kind":
                v = pkg.getEClassifier("AccountKind").getEEnumLiteral(v)
            setattr(obj, k, v)
        made[o["id"]] = obj
    for o in doc["objects"]:
        src = made[o["id"]]
        for k, targets in o["references"].items():
            if o["class"] == "Person":
                continue  # the opposite end is kept by pyecore itself
            getattr(src, k).extend(made[t] for t in targets)
    resource = rset.create_resource(URI(str(out)))
    resource.append(made["bank"])
    resource.save()


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """The fastest of `repeat` runs: (wall-clock s, CPU s). The result is dropped after the
    clock stops, so freeing it is not counted."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        del result
    return min(walls), min(cpus)


OURS_PROCESS = """
import time
import json, sys
from pathlib import Path
from instancegen import compilers
from instancegen.service.core.atomic import write_atomic
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.issues import has_errors
from instancegen.service.resources.model_io import read_model_file
from instancegen.service.core.validator import validate
steps = {"start-up and imports": time.process_time()}
mm = load_metamodel([sys.argv[1]])
steps["load metamodel"] = time.process_time()
cim = read_model_file(Path(sys.argv[2]), mm)
steps["read CIM"] = time.process_time()
assert not has_errors(validate(mm, cim, realism="off"))  # as compile validates
steps["validate"] = time.process_time()
data = compilers.get("xmi").compile(cim, mm)
steps["compile"] = time.process_time()
write_atomic(Path(sys.argv[3]), data)
steps["write"] = time.process_time()
print(json.dumps(steps))
"""
BASELINE_PROCESS = """
import time
import json, sys
from pathlib import Path
sys.path.insert(0, {bench!r})
from bench_compile import lxml_baseline
steps = {{"start-up and imports": time.process_time()}}
doc = json.loads(Path(sys.argv[2]).read_bytes())
steps["json.loads"] = time.process_time()
data = lxml_baseline(doc)
steps["build and serialize"] = time.process_time()
Path(sys.argv[3]).write_bytes(data)
steps["write"] = time.process_time()
print(json.dumps(steps))
"""


def process_seconds(
    code: str, model: Path, out: Path, repeat: int
) -> tuple[float, float, dict[str, float]]:
    """The fastest of `repeat` runs of a fresh `python -c code`: (wall-clock s, CPU s, CPU s
    per step of the run with the least CPU)."""
    args = [sys.executable, "-c", code, str(BANK), str(model), str(out)]
    walls: list[float] = []
    runs: list[tuple[float, dict[str, float]]] = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        printed = subprocess.run(args, check=True, capture_output=True, text=True).stdout
        walls.append(time.perf_counter() - wall)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        marks = json.loads(printed.splitlines()[-1])
        steps, last = {}, 0.0
        for name, mark in marks.items():
            steps[name], last = mark - last, mark
        runs.append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, steps))
    cpu, steps = min(runs, key=lambda r: r[0])
    return min(walls), cpu, steps


def _steps(steps: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.2f}" for name, seconds in steps.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[25_000, 50_000, 100_000, 200_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pyecore-size", type=int, default=20_000)
    add_json_option(parser)
    args = parser.parse_args()
    figures: list[Figure] = []

    from instancegen import compilers
    from instancegen.service.core.cim import parse_cim
    from instancegen.service.core.ecore_loader import load_metamodel

    mm = load_metamodel([BANK])
    xmi = compilers.get("xmi")
    print(
        f"{'objects':>9} {'ours s':>7} {'lxml s':>7} {'ratio':>6} "
        f"{'ours CPU':>8} {'lxml CPU':>8} {'ratio':>6} {'us/obj':>7}"
    )
    for n in args.sizes:
        doc = bank_cim(n)
        cim = parse_cim(doc)
        if xmi.compile(cim, mm) != lxml_baseline(doc):
            raise SystemExit("the baseline does not write the same document as the compiler")
        ours = best(partial(xmi.compile, cim, mm), args.repeat)
        base = best(partial(lxml_baseline, doc), args.repeat)
        print(
            f"{n:>9,} {ours[0]:>7.3f} {base[0]:>7.3f} {ours[0] / base[0]:>5.2f}x "
            f"{ours[1]:>8.3f} {base[1]:>8.3f} {ours[1] / base[1]:>5.2f}x {ours[1] / n * 1e6:>7.2f}"
        )
    figures.append(
        Figure("compile", f"XMI compile, {n:,} objects, in-process (CPU)", ours[1], base[1],
               "lxml alone, same tree", "s")
    )  # fmt: skip

    n = max(args.sizes)
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "model.json"
        model.write_text(json.dumps(bank_cim(n)))
        ours = process_seconds(OURS_PROCESS, model, Path(tmp) / "ours.xmi", args.repeat)
        base_code = BASELINE_PROCESS.format(bench=str(Path(__file__).resolve().parent))
        base = process_seconds(base_code, model, Path(tmp) / "base.xmi", args.repeat)
        print(
            f"whole process, {n:,} objects: ours {ours[0]:.2f} s (CPU {ours[1]:.2f} s), "
            f"lxml alone {base[0]:.2f} s (CPU {base[1]:.2f} s), ratio {ours[0] / base[0]:.2f}x "
            f"(CPU {ours[1] / base[1]:.2f}x)"
        )
        print(f"  CPU s per step, ours: {_steps(ours[2])}\n  lxml alone: {_steps(base[2])}")
        whole = f"compile {n:,} objects to XMI, whole process"
        figures += [
            Figure("compile", f"{whole} (CPU)", ours[1], base[1], "lxml alone", "s", "<= 1.15x"),
            Figure("compile", f"{whole} (wall)", ours[0], base[0], "lxml alone", "s", "<= 1.15x"),
        ]  # fmt: skip

        small = bank_cim(args.pyecore_size)
        cim = parse_cim(small)
        ours = best(lambda: xmi.compile(cim, mm), args.repeat)
        pye = best(lambda: pyecore_build_and_save(small, Path(tmp) / "pyecore.xmi"), 1)
        print(
            f"pyecore build+save, {args.pyecore_size:,} objects: {pye[0]:.2f} s vs ours "
            f"{ours[0]:.3f} s ({pye[0] / ours[0]:.1f}x slower)"
        )
        figures.append(
            Figure("compile", f"XMI compile, {args.pyecore_size:,} objects (wall)", ours[0],
                   pye[0], "pyecore build + save", "s")
        )  # fmt: skip
    write(args.json, figures)


if __name__ == "__main__":
    main()
