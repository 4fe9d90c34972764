"""One figure of a benchmark, with the baseline it was measured against in the same run.

Every benchmark script takes `--json PATH` and writes its figures there as a list of
`Figure`s; `run.py` runs them all and gathers the lists into one table.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    """`value` of what was measured against `baseline`, both in `unit`; `ratio` is
    value / baseline. `goal` says which way is good (`<= 1.15`, `>= 0.8`, `< 50 ms`)."""

    group: str  # the benchmark it comes from
    name: str  # what was measured, e.g. "compile 200,000 objects, whole process (CPU)"
    value: float
    baseline: float
    baseline_name: str  # what the baseline is, e.g. "lxml alone, same tree"
    unit: str
    goal: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("nan")


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")


def write(path: Path | None, figures: list[Figure]) -> None:
    """The figures as a JSON list (each with its ratio), when `--json` was given."""
    if path is not None:
        rows = [{**asdict(f), "ratio": f.ratio} for f in figures]
        path.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
