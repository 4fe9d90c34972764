"""The built wheel installs one import name, `instancegen`: its `top_level.txt`, every file it
holds and every entry point it declares stay under that name, and the bundled metamodels and
prompts travel inside it as package data.

The wheel is built here as `scripts/check_package.sh` builds it (about a minute: the importers'
accelerator is compiled); `INSTANCEGEN_WHEEL=path.whl` reads one built before instead.
"""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    given = os.environ.get("INSTANCEGEN_WHEEL")
    if given:
        path = Path(given)
    else:
        out = tmp_path_factory.mktemp("dist")
        env = os.environ | {"PIP_CONSTRAINT": str(ROOT / "constraints.txt")}
        subprocess.run(
            [sys.executable, "-m", "build", "-q", "--wheel", "--outdir", str(out), str(ROOT)],
            check=True,
            capture_output=True,
            env=env,
            timeout=900,
        )
        (path,) = out.glob("*.whl")
    with zipfile.ZipFile(path) as archive:
        yield archive


def _dist_info(archive: zipfile.ZipFile, name: str) -> str:
    (member,) = [n for n in archive.namelist() if n.endswith(f".dist-info/{name}")]
    return archive.read(member).decode()


def test_top_level_is_instancegen_alone(wheel: zipfile.ZipFile) -> None:
    assert _dist_info(wheel, "top_level.txt").split() == ["instancegen"]


def test_every_file_is_under_instancegen(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/")[0] for name in wheel.namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"instancegen"}


def test_entry_points_name_modules_under_instancegen(wheel: zipfile.ZipFile) -> None:
    points = configparser.ConfigParser()
    points.read_string(_dist_info(wheel, "entry_points.txt"))
    targets = {
        group: {name: value.split(":")[0] for name, value in points[group].items()}
        for group in points.sections()
    }
    assert targets["console_scripts"] == {"instancegen": "instancegen.service.cli"}
    assert {"xmi", "json", "cim", "dot", "svg"} <= set(targets["instancegen.compilers"])
    outside = [
        (group, name, module)
        for group, entries in targets.items()
        for name, module in entries.items()
        if not module.startswith("instancegen.")
    ]
    assert outside == []


def test_bundled_data_is_package_data(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    expected = {
        "instancegen/metamodels/bank/bank.ecore",
        "instancegen/metamodels/bank/spec.txt",
        "instancegen/prompts/system.txt",
        "instancegen/prompts/examples.txt",
        "instancegen/service/eval/emf/EmfCheck.java",
        "instancegen/service/http/static/index.html",
    }
    assert expected <= names
