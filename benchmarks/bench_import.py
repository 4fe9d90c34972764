"""XMI import speed against an lxml parse-and-walk of the same file, side by side in one run.

The file is the bank model from `bench_compile.py`, compiled to XMI. The baseline,
`parse_and_walk`, parses it with the same hardened parser (`service.xmlsafe.parse_xml`) and
visits every element of the tree (`iter()`), reading its tag, all of its attributes (names
and values, `items()`) and its text; it keeps nothing. That is the floor any lxml-based
importer pays; an importer also converts every value, resolves every reference and builds the
CIM objects. Reported per size, best of `--repeat`, as wall-clock and as CPU time (the
machine is shared, so CPU time is the steadier comparison): both times, the ratios and
microseconds (CPU) per object (flat = linear). The imported CIM is freed after the clock
stops.

    python benchmarks/bench_import.py                        # 25k .. 200k objects
    python benchmarks/bench_import.py --sizes 20000 --repeat 1
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compile import BANK, bank_cim, best


def parse_and_walk(data: bytes) -> int:
    """Parse with the hardened parser, then read every element's tag, attributes and text."""
    from service.xmlsafe import parse_xml

    seen = 0
    for el in parse_xml(data, "model.xmi").getroot().iter():
        tag, items, text = el.tag, el.items(), el.text
        seen += len(items) + (tag is not None) + (text is not None)
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
    print(
        f"{'objects':>9} {'MB':>5} {'import s':>8} {'walk s':>7} {'ratio':>6} "
        f"{'import CPU':>10} {'walk CPU':>8} {'ratio':>6} {'us/obj':>7}"
    )
    for n in args.sizes:
        cim = parse_cim(bank_cim(n))
        data = compilers.get("xmi").compile(cim, mm)
        if compilers.get("xmi").compile(importer.read(data, "model.xmi", mm), mm) != data:
            raise SystemExit("the imported model does not compile back to the same file")
        ours = best(partial(importer.read, data, "model.xmi", mm), args.repeat)
        base = best(partial(parse_and_walk, data), args.repeat)
        print(
            f"{n:>9,} {len(data) / 1e6:>5.1f} {ours[0]:>8.3f} {base[0]:>7.3f} "
            f"{ours[0] / base[0]:>5.2f}x {ours[1]:>10.3f} {base[1]:>8.3f} "
            f"{ours[1] / base[1]:>5.2f}x {ours[1] / n * 1e6:>7.2f}"
        )


if __name__ == "__main__":
    main()
