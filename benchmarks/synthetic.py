"""Large synthetic Ecore metamodels for benchmarks and scale tests.

`synthetic_metamodel(classes=500, files=5)` gives `{file name: .ecore text}`: one package per
file, deep single-inheritance chains plus interfaces (multiple inheritance), every kind of
attribute, enums, containment from one root class, and cross-file references both by relative
path and by nsURI. Deterministic for a given seed, so figures are comparable across runs.

    python benchmarks/synthetic.py --classes 500 --files 5 --out /tmp/synth
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path
from xml.sax.saxutils import quoteattr

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
