"""Validation throughput and linearity on large synthetic CIMs.

Builds a catalog metamodel (inheritance, an abstract class, an enum, iD attributes,
containment, an eOpposite pair, many-valued and required features) and, for each size, a
valid CIM of that many objects. Reports, best of `--repeat` runs:
- `validate`: `service.validate` on the parsed CIM, and objects per second;
- `parse`: `parse_cim` (pydantic) on the same decoded JSON, the baseline every model pays
  anyway; the ratio validate/parse shows what validation adds on top;
- `us/obj`: microseconds per object, flat across sizes when validation is linear;
- `realism`: validate (realism checks on, the default: here `code` on every sku and section
  code) over validate with `realism="off"`, what the checks add.
Then one run on the largest size with 1% of the objects broken, to show findings stay cheap.

    python benchmarks/bench_validate.py                      # 25k, 50k, 100k, 200k objects
    python benchmarks/bench_validate.py --sizes 20000 --repeat 1
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from report import Figure, add_json_option, write

from instancegen import load_metamodel, parse_cim, validate
from instancegen.service.core.metamodel import Metamodel

E = "http://www.eclipse.org/emf/2002/Ecore#//"


def _attr(name: str, etype: str, extra: str = "") -> str:
    return (
        f'<eStructuralFeatures xsi:type="ecore:EAttribute" name="{name}" eType="{etype}"{extra}/>'
    )


def _ref(name: str, target: str, extra: str = "") -> str:
    return (
        f'<eStructuralFeatures xsi:type="ecore:EReference" name="{name}" eType="#//{target}"'
        f"{extra}/>"
    )


CATALOG_ECORE = "\n".join(
    [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore" name="catalog"'
        ' nsURI="http://example.org/catalog" nsPrefix="catalog">',
        '<eClassifiers xsi:type="ecore:EClass" name="Catalog">',
        _attr("name", f"ecore:EDataType {E}EString", ' lowerBound="1"'),
        _ref("sections", "Section", ' upperBound="-1" containment="true"'),
        _ref("suppliers", "Supplier", ' upperBound="-1" containment="true"'),
        "</eClassifiers>",
        '<eClassifiers xsi:type="ecore:EClass" name="Section">',
        _attr("code", f"ecore:EDataType {E}EString", ' iD="true"'),
        _ref("items", "Item", ' upperBound="-1" containment="true"'),
        "</eClassifiers>",
        '<eClassifiers xsi:type="ecore:EClass" name="Item" abstract="true">',
        _attr("sku", f"ecore:EDataType {E}EString", ' lowerBound="1" iD="true"'),
        _attr("name", f"ecore:EDataType {E}EString", ' lowerBound="1"'),
        _attr("price", f"ecore:EDataType {E}EDouble"),
        _attr("stock", f"ecore:EDataType {E}EInt"),
        _attr("added", f"ecore:EDataType {E}EDate"),
        _attr("kind", "#//Kind"),
        _attr("tags", f"ecore:EDataType {E}EString", ' upperBound="-1"'),
        _ref("related", "Item", ' upperBound="3"'),
        _ref("supplier", "Supplier", ' eOpposite="#//Supplier/supplies"'),
        "</eClassifiers>",
        '<eClassifiers xsi:type="ecore:EClass" name="Book" eSuperTypes="#//Item">',
        _attr("pages", f"ecore:EDataType {E}EShort"),
        "</eClassifiers>",
        '<eClassifiers xsi:type="ecore:EClass" name="Gadget" eSuperTypes="#//Item">',
        _attr("watts", f"ecore:EDataType {E}EFloat"),
        "</eClassifiers>",
        '<eClassifiers xsi:type="ecore:EClass" name="Supplier">',
        _attr("name", f"ecore:EDataType {E}EString", ' lowerBound="1"'),
        _ref("supplies", "Item", ' upperBound="-1" eOpposite="#//Item/supplier"'),
        "</eClassifiers>",
        '<eClassifiers xsi:type="ecore:EEnum" name="Kind">'
        '<eLiterals name="NEW"/><eLiterals name="USED" value="1"/></eClassifiers>',
        "</ecore:EPackage>",
    ]
)


def catalog_cim(n: int, broken: float = 0.0) -> dict[str, Any]:
    """A valid catalog CIM of `n` objects (or with `broken` of its items made invalid)."""
    sections = max(1, n // 200)
    suppliers = max(1, n // 100)
    items = n - 1 - sections - suppliers
    every = int(1 / broken) if broken else 0
    objects: list[dict[str, Any]] = [
        {
            "id": "catalog",
            "class": "Catalog",
            "attributes": {"name": "Synthetic"},
            "references": {
                "sections": [f"s{k}" for k in range(sections)],
                "suppliers": [f"sup{k}" for k in range(suppliers)],
            },
        }
    ]
    section_items: list[list[str]] = [[] for _ in range(sections)]
    supplies: list[list[str]] = [[] for _ in range(suppliers)]
    for i in range(items):
        oid = f"i{i}"
        section_items[i % sections].append(oid)
        book = i % 2 == 0
        attributes: dict[str, Any] = {
            "sku": f"SKU-{i}",
            "name": f"Item {i}",
            "price": i * 0.5,
            "stock": i % 1000,
            "added": "2024-05-17T09:30:00Z",
            "kind": "USED" if i % 3 else "NEW",
            "tags": ["a", "b"],
            ("pages" if book else "watts"): 100 + i % 900,
        }
        references: dict[str, list[str]] = {"related": [f"i{(i + 1) % items}"]}
        sup = i % suppliers  # even suppliers list their items, odd ones are implied;
        if sup % 2 == 0:
            supplies[sup].append(oid)
        if sup % 2 or sup % 4 == 0:  # items of odd suppliers and every 4th give their end
            references["supplier"] = [f"sup{sup}"]
        if every and i % every == 0:
            attributes["stock"] = "many"
            references["related"] = ["nowhere"]
        objects.append(
            {
                "id": oid,
                "class": "Book" if book else "Gadget",
                "attributes": attributes,
                "references": references,
            }
        )
    objects += [
        {
            "id": f"s{k}",
            "class": "Section",
            "attributes": {"code": f"S{k}"},
            "references": {"items": section_items[k]},
        }
        for k in range(sections)
    ]
    objects += [
        {
            "id": f"sup{k}",
            "class": "Supplier",
            "attributes": {"name": f"Supplier {k}"},
            "references": {"supplies": supplies[k]} if k % 2 == 0 else {},
        }
        for k in range(suppliers)
    ]
    return {"objects": objects}


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The fastest of `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def measure(
    mm: Metamodel, n: int, repeat: int, broken: float = 0.0
) -> tuple[float, float, float, int]:
    data = catalog_cim(n, broken)
    parse_s, cim = best(lambda: parse_cim(data), repeat)
    validate_s, issues = best(lambda: validate(mm, cim), repeat)
    plain_s, _ = best(lambda: validate(mm, cim, realism="off"), repeat)
    return parse_s, validate_s, validate_s / plain_s, len(issues)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="25000,50000,100000,200000")
    parser.add_argument("--repeat", type=int, default=3)
    add_json_option(parser)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    mm = load_metamodel({"catalog.ecore": CATALOG_ECORE})
    print(
        f"{'objects':>8} {'parse s':>8} {'validate s':>10} {'objects/s':>10} {'us/obj':>7} "
        f"{'validate/parse':>14} {'realism':>7} {'issues':>6}"
    )
    for n in sizes:
        parse_s, validate_s, realism, issues = measure(mm, n, args.repeat)
        assert issues == 0, f"the synthetic model should be valid, got {issues} issues"
        print(
            f"{n:>8} {parse_s:>8.3f} {validate_s:>10.3f} {n / validate_s:>10,.0f} "
            f"{validate_s / n * 1e6:>7.2f} {validate_s / parse_s:>14.2f} {realism:>7.2f} "
            f"{issues:>6}"
        )
    n = sizes[-1]
    figures = [
        Figure("validate", f"validate {n:,} objects", validate_s, parse_s, "parse_cim", "s"),
        Figure("validate", f"validate {n:,} objects, realism checks on", validate_s,
               validate_s / realism, "realism checks off", "s"),
    ]  # fmt: skip
    parse_s, validate_s, realism, issues = measure(mm, n, 1, broken=0.01)
    print(
        f"{n:>8} {parse_s:>8.3f} {validate_s:>10.3f} {n / validate_s:>10,.0f} "
        f"{validate_s / n * 1e6:>7.2f} {validate_s / parse_s:>14.2f} {realism:>7.2f} "
        f"{issues:>6}  (1% of items broken)"
    )
    figures.append(
        Figure("validate", f"validate {n:,} objects, 1% of items broken", validate_s, parse_s,
               "parse_cim", "s")
    )  # fmt: skip
    write(args.json, figures)


if __name__ == "__main__":
    main()
