"""What OCL invariants add to validation, on scaled-up models of the clinic suite case.

For each size, a valid clinic model (one clinic, 1% doctors, 30% patients, the rest
appointments, each linked both ways) is validated twice, best of `--repeat`:
- `baseline`: the same metamodel with its invariants removed (structure and values only);
- `with OCL`: the clinic's six invariants too (a range, `isUnique`, a `select` capacity,
  enum navigation, two `implies`), evaluated on every object of their classes.
The ratio shows what the invariants cost on top; `OCL us/obj` should stay flat (linear).

    python benchmarks/bench_ocl.py                 # 5k, 10k, 20k, 40k objects
    python benchmarks/bench_ocl.py --sizes 2000 --repeat 1
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path
from typing import Any

from report import Figure, add_json_option, write

from instancegen import load_metamodel, parse_cim, validate
from instancegen.service.core.cim import Cim
from instancegen.service.core.metamodel import Metamodel

CASE = Path(__file__).resolve().parent.parent / "metamodels" / "suite" / "clinic-scheduling"
SPECIALTIES = ("GENERAL_PRACTICE", "SURGEON", "PAEDIATRICS")


def clinic_model(size: int) -> Cim:
    """A valid clinic model of about `size` objects that satisfies every invariant."""
    doctors = max(3, size // 100)
    patients = max(1, size * 3 // 10)
    appointments = max(1, size - doctors - patients - 1)
    per_doctor = appointments // doctors + 1
    objects: list[dict[str, Any]] = [
        {"id": "c", "class": "Clinic", "attributes": {"name": "Big Clinic"},
         "references": {"doctors": [f"d{i}" for i in range(doctors)],
                        "patients": [f"p{i}" for i in range(patients)],
                        "appointments": [f"a{i}" for i in range(appointments)]}},
    ]  # fmt: skip
    for i in range(doctors):
        objects.append({
            "id": f"d{i}", "class": "Doctor",
            "attributes": {"name": f"Doctor {i}", "specialty": SPECIALTIES[i % 3],
                           "maxAppointments": per_doctor},
            "references": {"appointments": [f"a{j}" for j in range(i, appointments, doctors)]},
        })  # fmt: skip
    for i in range(patients):
        objects.append({
            "id": f"p{i}", "class": "Patient",
            "attributes": {"name": f"Patient {i}", "age": 20 + i % 70, "insured": True},
            "references": {"appointments": [f"a{j}" for j in range(i, appointments, patients)]},
        })  # fmt: skip
    for j in range(appointments):
        surgeon = SPECIALTIES[(j % doctors) % 3] == "SURGEON"
        objects.append({
            "id": f"a{j}", "class": "Appointment",
            "attributes": {"code": f"A-{j}", "start": "2024-05-06T09:00:00",
                           "kind": "SURGERY" if surgeon else "CHECKUP", "status": "SCHEDULED"},
            "references": {"doctor": [f"d{j % doctors}"], "patient": [f"p{j % patients}"]},
        })  # fmt: skip
    return parse_cim({"objects": objects})


def best(mm: Metamodel, cim: Cim, repeat: int) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        count = len(validate(mm, cim, realism="off"))  # the invariants' cost, not realism's
        times.append(time.perf_counter() - started)
    return min(times), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 10_000, 20_000, 40_000])
    parser.add_argument("--repeat", type=int, default=3)
    add_json_option(parser)
    args = parser.parse_args()
    figures: list[Figure] = []
    with_ocl = load_metamodel([CASE / "clinic.ecore"])
    baseline = dataclasses.replace(with_ocl, invariants=())
    print(f"{'objects':>8} {'baseline s':>11} {'with OCL s':>11} {'ratio':>6} {'OCL us/obj':>11}")
    for size in args.sizes:
        cim = clinic_model(size)
        plain, plain_issues = best(baseline, cim, args.repeat)
        full, full_issues = best(with_ocl, cim, args.repeat)
        assert plain_issues == full_issues == 0, (plain_issues, full_issues)
        n = len(cim.objects)
        extra = (full - plain) / n * 1e6
        print(f"{n:>8} {plain:>11.3f} {full:>11.3f} {full / plain:>6.2f} {extra:>11.1f}")
        figures.append(
            Figure("ocl", f"validate {n:,} objects with the clinic's 6 OCL invariants", full,
                   plain, "validate without invariants", "s")
        )  # fmt: skip
    write(args.json, figures)


if __name__ == "__main__":
    main()
