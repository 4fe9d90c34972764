"""`benchmarks/run.py` writes its table into the performance page without losing the page."""

from __future__ import annotations

from pathlib import Path

from benchmarks.run import BEGIN, END, HEADING, markdown, page

RESULT = {
    "commit": "abc1234",
    "date": "2026-12-07 05:00 UTC",
    "machine": "2 CPUs, Python 3.11.7",
    "seconds": 600.0,
    "benchmarks": [
        {
            "name": "compile",
            "command": "python benchmarks/bench_compile.py --sizes 200000",
            "seconds": 90.0,
            "load_average": [1.0, 1.5],
            "exit_code": 0,
            "figures": [
                {
                    "group": "compile",
                    "name": "compile 200,000 objects to XMI, whole process (CPU)",
                    "value": 3.3,
                    "baseline": 3.0,
                    "baseline_name": "lxml alone",
                    "unit": "s",
                    "goal": "<= 1.15x",
                    "ratio": 1.1,
                }
            ],
        },
        {
            "name": "overhead",
            "command": "python benchmarks/bench_overhead.py",
            "seconds": 5.0,
            "load_average": [2.0, 2.0],
            "exit_code": 1,
            "figures": [],
        },
    ],
}


def test_each_figure_is_a_row_with_its_baseline_ratio_goal_and_load() -> None:
    table = markdown(RESULT)
    assert (
        "| compile | compile 200,000 objects to XMI, whole process (CPU) | 3.3 s | "
        "3 s, lxml alone | 1.10× | <= 1.15× | 1.0–1.5 |"
    ) in table
    assert "| overhead | failed (exit 1) |" in table
    assert "Commit abc1234" in table
    assert "`python benchmarks/bench_compile.py --sizes 200000`" in table


def test_the_table_goes_under_its_own_heading_the_first_time(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\n## Compiling\n\nWritten by hand.\n")
    text = page("THE TABLE\n", doc)
    assert text.startswith("# Performance\n\n## Compiling\n\nWritten by hand.\n\n" + HEADING)
    assert f"{BEGIN}\nTHE TABLE\n{END}\n" in text


def test_a_new_run_replaces_only_the_table(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Performance\n\nBefore.\n\n{BEGIN}\nOLD\n{END}\n\nAfter.\n")
    assert page("NEW\n", doc) == (f"# Performance\n\nBefore.\n\n{BEGIN}\nNEW\n{END}\n\nAfter.\n")
