"""Large synthetic Ecore metamodels for benchmarks and scale tests.

`synthetic_metamodel(classes=500, files=5)` gives `{file name: .ecore text}`: one package per
file, deep single-inheritance chains plus interfaces (multiple inheritance), every kind of
attribute, enums, containment from one root class, and cross-file references both by relative
path and by nsURI. `synthetic_instance(mm, objects=300)` gives a model of such a metamodel:
the root holding objects of every class its containment reaches, values of every type, and
plain references between them. Deterministic for a given seed, so figures are comparable
across runs.

    python benchmarks/synthetic.py --classes 500 --files 5 --out /tmp/synth
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from instancegen.service.core.cim import Cim, CimObject
from instancegen.service.core.metamodel import Attribute, DataType, EClassView, Metamodel

ECORE = "http://www.eclipse.org/emf/2002/Ecore#//"
TYPES = ("EString", "EInt", "EBoolean", "EDouble", "ELong", "EDate", "EChar", "EBigDecimal")
HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore" name="{name}" '
    'nsURI="{uri}" nsPrefix="{name}">\n'
)


def _uri(file: int) -> str:
    return f"http://synthetic.example/p{file}"


def synthetic_metamodel(
    classes: int = 500, files: int = 5, depth: int = 8, seed: int = 0
) -> dict[str, str]:
    """`classes` classes spread over `files` files; inheritance chains up to `depth` deep."""
    rng = random.Random(seed)
    per_file = -(-classes // files)
    owner = [i // per_file for i in range(classes)]
    out = {f: [HEADER.format(name=f"p{f}", uri=_uri(f))] for f in range(files)}

    def ref(i: int, user: int, kind: str = "") -> str:
        """A reference to class i from a class in file `user`: local, by path or by nsURI."""
        prefix = f"ecore:{kind} " if kind else ""
        if owner[i] == owner[user]:
            return f"{prefix}#//C{i}"
        where = f"p{owner[i]}.ecore" if i % 2 else _uri(owner[i])
        return f"{prefix}{where}#//C{i}"

    for i in range(classes):
        f = owner[i]
        supers = []
        if i % depth and i > 0:
            supers.append(ref(i - 1, i))  # chains of `depth` classes
        if i % 7 == 3 and i > 10:
            supers.append(ref(rng.randrange(0, i - 1), i))  # a second supertype
        abstract = ' abstract="true"' if i % depth == 0 and i > 0 and i % 3 == 0 else ""
        sup = f' eSuperTypes="{" ".join(supers)}"' if supers else ""
        out[f].append(f'  <eClassifiers xsi:type="ecore:EClass" name="C{i}"{abstract}{sup}>\n')
        for a in range(rng.randint(1, 4)):
            t = TYPES[rng.randrange(len(TYPES))]
            lower = ' lowerBound="1"' if rng.random() < 0.3 else ""
            upper = ' upperBound="-1"' if rng.random() < 0.15 else ""
            out[f].append(
                f'    <eStructuralFeatures xsi:type="ecore:EAttribute" name="a{i}_{a}"{lower}'
                f'{upper} eType="ecore:EDataType {ECORE}{t}"/>\n'
            )
        if i % 5 == 0:
            out[f].append(
                f'    <eStructuralFeatures xsi:type="ecore:EAttribute" name="kind{i}" '
                f'eType="#//K{f}"/>\n'
            )
        if i == 0:
            for j in range(1, classes, max(1, classes // 50)):
                out[f].append(
                    f'    <eStructuralFeatures xsi:type="ecore:EReference" name="all{j}" '
                    f'upperBound="-1" eType={quoteattr(ref(j, i, "EClass"))} '
                    f'containment="true"/>\n'
                )
        elif rng.random() < 0.6:
            target = rng.randrange(0, classes)
            upper = rng.choice(("1", "-1", "3"))
            out[f].append(
                f'    <eStructuralFeatures xsi:type="ecore:EReference" name="r{i}" '
                f'upperBound="{upper}" eType={quoteattr(ref(target, i, "EClass"))}/>\n'
            )
        out[f].append("  </eClassifiers>\n")
    for f in range(files):
        out[f].append(f'  <eClassifiers xsi:type="ecore:EEnum" name="K{f}">\n')
        out[f] += [f'    <eLiterals name="L{n}" value="{n}"/>\n' for n in range(4)]
        out[f].append("  </eClassifiers>\n</ecore:EPackage>\n")
    return {f"p{f}.ecore": "".join(parts) for f, parts in out.items()}


def synthetic_instance(mm: Metamodel, objects: int = 300, seed: int = 0) -> Cim:
    """A model of a `synthetic_metamodel`: the root `C0` and `objects - 1` objects in its
    containment references in turn, most optional attributes set, each plain reference
    pointing at an object of its type where there is one."""
    rng = random.Random(seed)
    root = mm.classes["C0"]
    slots = [
        (f, classes)
        for f in root.references
        if f.containment and (classes := mm.concrete_subtypes(f.target))
    ]
    made: list[CimObject] = [CimObject(id="root", class_="C0", attributes=_values(root, 0, rng))]
    held: dict[str, list[str]] = {}
    for n in range(1, objects):
        feature, classes = slots[n % len(slots)]
        key = classes[rng.randrange(len(classes))]
        made.append(CimObject(id=f"o{n}", class_=key, attributes=_values(mm.classes[key], n, rng)))
        held.setdefault(feature.name, []).append(f"o{n}")
    by_class: dict[str, list[str]] = {}
    for o in made:
        by_class.setdefault(o.class_, []).append(o.id)
    for o in made[1:]:
        for ref in mm.classes[o.class_].references:
            if ref.containment or ref.opposite or rng.random() < 0.3:
                continue
            targets = [i for k in mm.concrete_subtypes(ref.target) for i in by_class.get(k, ())]
            if targets:
                o.references[ref.name] = [targets[rng.randrange(len(targets))]]
    made[0].references.update(held)
    return Cim(objects=made)


def _values(cls: EClassView, n: int, rng: random.Random) -> dict[str, Any]:
    """Values for `cls`'s attributes: every required one, most optional ones."""
    values: dict[str, Any] = {}
    for a in cls.attributes:
        if a.lower == 0 and rng.random() < 0.3:
            continue
        one = _value(a, n)
        values[a.name] = [one, _value(a, n + 1)] if a.many else one
    return values


def _value(a: Attribute, n: int) -> Any:
    t: DataType = a.type
    by_kind: dict[str, Any] = {
        "enum": t.literals[n % len(t.literals)] if t.literals else None,
        "bool": n % 2 == 0,
        "int": n * 7,
        "bigint": n * 7,
        "float": n * 1.25,
        "decimal": n * 1.25,
        "char": "abcdefgh"[n % 8],
        "date": f"2025-{n % 12 + 1:02d}-{n % 28 + 1:02d}T10:30:00",
    }
    return by_kind.get(t.kind, f"{a.name} value {n}")


def write_synthetic(directory: Path, **kwargs: int) -> list[Path]:
    """Write the files of `synthetic_metamodel(**kwargs)` into `directory`; their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in synthetic_metamodel(**kwargs).items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=500)
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    for p in write_synthetic(args.out, classes=args.classes, files=args.files, depth=args.depth):
        print(p)
