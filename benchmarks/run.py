"""Every benchmark in one command, at sizes that fit a 2-core machine in under 15 minutes.

Each benchmark script runs in its own process with `--json`; its figures (each with the
baseline measured in the same run, see `report.py`) are gathered into one JSON file and one
Markdown table, with the commit, the machine and the load average around each benchmark
(the machine may be shared: the load tells how far to trust a wall-clock figure).

    python benchmarks/run.py                  # writes docs/performance.md and .json
    python benchmarks/run.py --only compile,import --markdown /tmp/perf.md

Generation with the bundled model is left out: no run shorter than a whole case measures
its seconds per case, and a case takes 15 s to over 2 minutes on this machine
(`instancegen eval metamodels/suite --model local` is the measure).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# (name, script, arguments): the figures first.
BENCHMARKS: list[tuple[str, str, list[str]]] = [
    ("compile", "bench_compile.py", ["--sizes", "200000", "--repeat", "3",
                                     "--pyecore-size", "5000"]),
    ("import", "bench_import.py", ["--sizes", "200000", "--repeat", "5"]),
    ("import-plain", "bench_import.py", ["--sizes", "200000", "--repeat", "3", "--plain"]),
    ("overhead", "bench_overhead.py", ["--connections", "50", "--duration", "10", "--rounds", "2"]),
    ("tokens", "bench_tokens.py", ["--classes", "500"]),
    ("validate", "bench_validate.py", ["--sizes", "200000", "--repeat", "3"]),
    ("edits", "bench_edits.py", ["--sizes", "100000", "--repeat", "3"]),
    ("ocl", "bench_ocl.py", ["--sizes", "20000", "--repeat", "3"]),
    ("schema", "bench_schema.py", ["--classes", "200", "--runs", "3"]),
    ("http", "bench_http.py", ["--clients", "50", "--size", "20"]),
    ("local", "bench_local.py", ["--repeat", "2"]),
]  # fmt: skip


def commit() -> str:
    """The commit measured, with `+changes` when the work tree differs from it (this
    command's own output files aside)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git(
        "status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs/performance.*"
    )
    return head + ("+changes" if changed else "")


def run_one(name: str, script: str, args: list[str], out: Path) -> dict[str, Any]:
    """One benchmark in its own process; its figures, wall time and the load around it."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    print(f"== {name}: python benchmarks/{script} {' '.join(args)}", flush=True)
    proc = subprocess.run([sys.executable, str(HERE / script), *args, "--json", str(out)], cwd=ROOT)
    seconds = time.perf_counter() - started
    figures = json.loads(out.read_text()) if proc.returncode == 0 and out.exists() else []
    return {
        "name": name,
        "command": f"python benchmarks/{script} {' '.join(args)}",
        "seconds": round(seconds, 1),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "exit_code": proc.returncode,
        "figures": figures,
    }


def markdown(result: dict[str, Any]) -> str:
    """The table: one row per figure, with its baseline, ratio, goal and the load around it."""
    lines = [
        "| benchmark | figure | value | baseline (same run) | ratio | goal | load |",
        "|---|---|--:|---|--:|---|--:|",
    ]
    for bench in result["benchmarks"]:
        load = "–".join(f"{x:.1f}" for x in bench["load_average"])
        if bench["exit_code"] != 0:
            lines.append(
                f"| {bench['name']} | failed (exit {bench['exit_code']}) | | | | | {load} |"
            )
        for f in bench["figures"]:
            unit = f["unit"]
            lines.append(
                f"| {bench['name']} | {f['name']} | {_num(f['value'])} {unit} | "
                f"{_num(f['baseline'])} {unit}, {f['baseline_name']} | {f['ratio']:.2f}× | "
                f"{f['goal'].replace('x', '×')} | {load} |"
            )
    commands = "\n".join(
        f"- {b['name']} ({b['seconds']:.0f} s): `{b['command']}`" for b in result["benchmarks"]
    )
    return (
        f"Commit {result['commit']}, {result['date']}; {result['machine']}; "
        f"{result['seconds'] / 60:.1f} minutes in all. Load is the 1-minute load average "
        "before and after each benchmark.\n\n"
        + "\n".join(lines)
        + "\n\nCommands:\n\n"
        + commands
        + "\n"
    )


BEGIN = "<!-- written by python benchmarks/run.py: begin -->"
END = "<!-- written by python benchmarks/run.py: end -->"
HEADING = "## All benchmarks in one run"
INTRO = (
    "`python benchmarks/run.py` runs every benchmark at the sizes below (under 15 minutes on "
    "2 cores) and rewrites this table and `docs/performance.json`. Each figure has its "
    "baseline, measured in the same run; the ratio is figure / baseline.\n\n"
)


def page(table: str, path: Path) -> str:
    """`path`'s text with the table between the markers (added under its own heading the
    first time; the rest of the page is kept)."""
    block = f"{BEGIN}\n{table}{END}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        return head + block + ("\n" + tail if tail else "")
    return f"{text.rstrip()}\n\n{HEADING}\n\n{INTRO}{block}"


def _num(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}" if x >= 0.001 else f"{x:.2e}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    parser.add_argument("--json", type=Path, default=ROOT / "docs" / "performance.json")
    parser.add_argument("--markdown", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args()
    wanted = {w for w in args.only.split(",") if w}
    started = time.perf_counter()
    result: dict[str, Any] = {
        "commit": commit(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
        "benchmarks": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, script, bench_args in BENCHMARKS:
            if not wanted or name in wanted:
                out = Path(tmp) / f"{name}.json"
                result["benchmarks"].append(run_one(name, script, bench_args, out))
    result["seconds"] = round(time.perf_counter() - started, 1)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    table = markdown(result)
    args.markdown.write_text(page(table, args.markdown), encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
