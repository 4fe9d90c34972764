"""`instancegen --version` prints the installed distribution's version and exits 0."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version


def test_version_prints_the_package_metadata_version() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "instancegen", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"instancegen {version('instancegen')}"
