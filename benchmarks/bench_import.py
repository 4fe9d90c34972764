"""XMI import speed against an lxml parse-and-walk of the same file, side by side in one run.

The file is the bank model from `bench_compile.py`, compiled to XMI. The baseline parses it
with the same hardened parser and visits every element, reading every attribute: the floor any
lxml-based importer pays. Reported per size, best of `--repeat`: both times, the ratio and
microseconds per object (flat = linear).

    python benchmarks/bench_import.py                        # 25k .. 200k objects
    python benchmarks/bench_import.py --sizes 20000 --repeat 1
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compile import BANK, bank_cim, best


def parse_and_walk(data: bytes) -> int:
    from service.xmlsafe import parse_xml

    seen = 0
    for el in parse_xml(data, "model.xmi").getroot().iter():
        for _key, _value in el.attrib.items():
            seen += 1
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[25_000, 50_000, 100_000, 200_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import compilers
    from service.cim import parse_cim
    from service.ecore_loader import load_metamodel

    mm = load_metamodel([BANK])
    importer = compilers.get_importer("xmi")
    print(f"{'objects':>9} {'MB':>6} {'import s':>9} {'lxml s':>8} {'ratio':>6} {'us/obj':>7}")
    for n in args.sizes:
        data = compilers.get("xmi").compile(parse_cim(bank_cim(n)), mm)
        ours = best(lambda data=data: importer.read(data, "model.xmi", mm), args.repeat)
        base = best(lambda data=data: parse_and_walk(data), args.repeat)
        print(
            f"{n:>9,} {len(data) / 1e6:>6.1f} {ours:>9.3f} {base:>8.3f} {ours / base:>5.2f}x "
            f"{ours / n * 1e6:>7.2f}"
        )


if __name__ == "__main__":
    main()
