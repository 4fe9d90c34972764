"""What applying a few edits costs on large models, against validating the same model.

An edit request ends in `validate` anyway, so `validate` is the baseline: applying a handful
of edits should cost a fraction of it. On the catalog CIM of `bench_validate` (containment,
an eOpposite pair, iD attributes), per size, best of `--repeat` runs:
- `set`: one attribute of one item;
- `move`: an item into another section (it leaves its old container);
- `supplier`: an item's single-valued supplier changed (both opposite ends follow);
- `delete`: a section, with its items and every reference to them;
- `add`: a new item in a section, supplied by a supplier.

    python benchmarks/bench_edits.py                      # 25k, 50k, 100k, 200k objects
    python benchmarks/bench_edits.py --sizes 20000 --repeat 1
"""

from __future__ import annotations

import argparse
from typing import Any

from bench_validate import CATALOG_ECORE, best, catalog_cim
from report import Figure, add_json_option, write

from instancegen import apply_edits, load_metamodel, parse_cim, validate

EDITS: dict[str, list[dict[str, Any]]] = {
    "set": [{"op": "set", "id": "i7", "feature": "price", "value": 9.5}],
    "move": [{"op": "set", "id": "s0", "feature": "items", "value": ["i0", "i1"]}],
    "supplier": [{"op": "set", "id": "i3", "feature": "supplier", "value": ["sup0"]}],
    "delete": [{"op": "delete", "id": "s0"}],
    "add": [
        {
            "op": "add",
            "object": {
                "id": "new",
                "class": "Book",
                "attributes": {"sku": "NEW-1", "name": "New"},
                "references": {"supplier": ["sup0"]},
            },
            "container": ["s0", "items"],
        }
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="25000,50000,100000,200000")
    parser.add_argument("--repeat", type=int, default=3)
    add_json_option(parser)
    args = parser.parse_args()
    figures: list[Figure] = []
    mm = load_metamodel({"catalog.ecore": CATALOG_ECORE})
    print(f"{'objects':>8} {'validate s':>10} " + " ".join(f"{k + '/val':>13}" for k in EDITS))
    for n in (int(s) for s in args.sizes.split(",")):
        cim = parse_cim(catalog_cim(n))
        validate_s, _ = best(lambda cim=cim: validate(mm, cim), args.repeat)
        ratios = []
        for kind, edits in EDITS.items():
            seconds, outcome = best(
                lambda cim=cim, edits=edits: apply_edits(cim, edits, mm), args.repeat
            )
            assert outcome.issues == [], outcome.issues
            ratios.append(seconds / validate_s)
            figures.append(
                Figure("edits", f"edit ({kind}) on {n:,} objects", seconds, validate_s,
                       "validate", "s")
            )  # fmt: skip
        print(f"{n:>8} {validate_s:>10.3f} " + " ".join(f"{r:>13.3f}" for r in ratios))
    write(args.json, figures)


if __name__ == "__main__":
    main()
