"""The Eclipse-side examples of `examples/eclipse/` against a live `instancegen serve`.

The service runs as its own process (the console script's code, `python -m instancegen serve`)
on a free loopback port; the LLM is a capable stand-in on loopback (`capable_server.py`)
reached through the real LiteLLM path with `api_base`. The Java program is compiled with
`javac` against Debian's EMF jars and run with `java`; it posts the bank metamodel and spec,
waits for the job, downloads the XMI and loads it into an EMF ResourceSet with the metamodel
registered. The loaded model must hold the reference's objects, with no EMF errors. The Python
script does the same with pyecore.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from capable_server import CapableServer, capable_server
from conftest import require
from http_support import free_port

from instancegen.service.core.cim import parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.eval.emf_judge import emf_available, find_jars

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "eclipse"
BANK = ROOT / "metamodels" / "bank"
MODEL = "openai/capable"
KEY_VARIABLES = ("OPENAI_API_KEY", "AZURE_API_KEY", "INSTANCEGEN_API_KEYS", "INSTANCEGEN_API_KEY")
REFERENCE = parse_cim((BANK / "reference.json").read_bytes())


@pytest.fixture(scope="module")
def llm() -> Iterator[CapableServer]:
    with capable_server() as server:
        spec = (BANK / "spec.txt").read_text(encoding="utf-8")
        server.add_case(spec, load_metamodel([BANK / "bank.ecore"]), REFERENCE)
        yield server


@pytest.fixture(scope="module")
def service(llm: CapableServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`instancegen serve` in its own process, allowed to reach the stand-in LLM only."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in KEY_VARIABLES}
    env |= {"INSTANCEGEN_API_BASES": llm.base_url, "PYTHONPATH": str(ROOT)}
    db = tmp_path_factory.mktemp("serve") / "jobs.db"
    args = ["serve", "--port", str(port), "--db", str(db), "--no-access-log"]
    process = subprocess.Popen(
        [sys.executable, "-m", "instancegen", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/v1/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"instancegen serve did not start: {process.stderr}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(30)


def _arguments(service: str, llm: CapableServer) -> list[str]:
    return [service, str(BANK / "bank.ecore"), str(BANK / "spec.txt"), MODEL, llm.base_url]


def test_the_java_example_loads_the_generated_model_in_emf(
    service: str, llm: CapableServer, tmp_path: Path
) -> None:
    require(
        emf_available(),
        "the Java example: javac or EMF jars",
        "default-jdk-headless libeclipse-emf-ecore-xmi-java",
    )
    classpath = os.pathsep.join(str(j) for j in find_jars() or [])
    classes = tmp_path / "classes"
    javac = [shutil.which("javac") or "javac", "-Xlint:all", "-Werror", "-encoding", "UTF-8"]
    javac += ["-cp", classpath, "-d", str(classes), str(EXAMPLES / "GenerateAndLoad.java")]
    built = subprocess.run(javac, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    run = subprocess.run(
        [shutil.which("java") or "java", "-cp", os.pathsep.join([str(classes), classpath]),
         "GenerateAndLoad", *_arguments(service, llm)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    objects = len(REFERENCE.objects)
    assert f"loaded bank.xmi: {objects} objects, 0 errors" in run.stdout
    job = run.stdout.split()[1]
    assert (tmp_path / "bank.xmi").read_bytes() == httpx.get(f"{job}/artifacts/xmi").content


def test_the_python_example_loads_the_generated_model_in_pyecore(
    service: str, llm: CapableServer, tmp_path: Path
) -> None:
    run = subprocess.run(
        [sys.executable, str(EXAMPLES / "generate_and_load.py"), *_arguments(service, llm)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"loaded bank.xmi: {len(REFERENCE.objects)} objects" in run.stdout
