"""Real Eclipse EMF as the judge of XMI (`eval --emf`, and the conformance tests).

Drives ``service/eval/emf/EmfCheck.java``, shipped as package data and compiled with ``javac`` on
first use (cached per source and jars), against Eclipse EMF's jars (Debian:
``libeclipse-emf-ecore-xmi-java``; elsewhere name them in ``INSTANCEGEN_EMF_CLASSPATH``). One
JVM call checks many models, so batch them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

JAVA_SOURCE = Path(__file__).resolve().parent / "emf" / "EmfCheck.java"
CLASSPATH_ENV = "INSTANCEGEN_EMF_CLASSPATH"
"""Overrides jar discovery (``os.pathsep``-separated jars), for non-Debian systems."""

# Debian ships unversioned symlinks in /usr/share/java and OSGi bundles in eclipse/plugins.
_JAR_DIRS = (Path("/usr/share/java"), Path("/usr/lib/eclipse/plugins"))
_JAR_PATTERNS = {
    "common": ("eclipse-emf-common.jar", "org.eclipse.emf.common_*.jar"),
    "ecore": ("eclipse-emf-ecore.jar", "org.eclipse.emf.ecore_*.jar"),
    "xmi": ("eclipse-emf-ecore-xmi.jar", "org.eclipse.emf.ecore.xmi_*.jar"),
}
# C1 only and the serial GC roughly halve the start-up of a short-lived JVM.
_JVM_FLAGS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Dfile.encoding=UTF-8")


class EmfHarnessError(RuntimeError):
    """The harness itself failed (compile, usage, JVM crash), as opposed to a model error."""


@dataclass(frozen=True)
class EmfModelResult:
    """What EMF said about one model file, plus its serialization-independent canonical view."""

    file: str
    errors: list[str]
    warnings: list[str]
    canonical: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors


def find_jars() -> list[Path] | None:
    """The EMF common, ecore and ecore.xmi jars, or None when one is missing."""
    override = os.environ.get(CLASSPATH_ENV)
    if override:
        given = [Path(p) for p in override.split(os.pathsep) if p]
        return given if all(p.is_file() for p in given) else None
    jars: list[Path] = []
    for patterns in _JAR_PATTERNS.values():
        found = next(
            (hit for d in _JAR_DIRS for pat in patterns for hit in sorted(d.glob(pat))),
            None,
        )
        if found is None:
            return None
        jars.append(found)
    return jars


def emf_available() -> bool:
    """True when java, javac and the EMF jars are all present."""
    return bool(shutil.which("java") and shutil.which("javac") and find_jars())


def _classpath(jars: Sequence[Path]) -> str:
    return os.pathsep.join(str(j) for j in jars)


@cache
def _compiled() -> tuple[Path, str]:
    """Compile EmfCheck.java into a cache dir keyed by source and jars; return (dir, classpath)."""
    jars = find_jars()
    javac = shutil.which("javac")
    if not jars or not javac:
        raise EmfHarnessError("javac or EMF jars missing; check emf_available() first")
    classpath = _classpath(jars)
    key = hashlib.sha256(JAVA_SOURCE.read_bytes() + classpath.encode()).hexdigest()[:16]
    out = Path(tempfile.gettempdir()) / f"instancegen-emfcheck-{key}"
    if not (out / "EmfCheck.class").is_file():
        staging = Path(tempfile.mkdtemp(prefix="instancegen-emfcheck-build-"))
        proc = subprocess.run(
            [
                javac,
                "-nowarn",
                "-encoding",
                "UTF-8",
                "-d",
                str(staging),
                "-cp",
                classpath,
                str(JAVA_SOURCE),
            ],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        if proc.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise EmfHarnessError(f"javac failed:\n{proc.stdout}{proc.stderr}")
        try:
            staging.rename(out)  # atomic; a parallel worker may have won the race
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
    return out, classpath


def emf_check(
    ecore_paths: Sequence[Path], model_paths: Sequence[Path], timeout: float = 300
) -> list[EmfModelResult]:
    """Load every model with real EMF against the given metamodels, in one JVM call.

    Results come back in ``model_paths`` order. Model problems are results, not exceptions;
    EmfHarnessError means the harness could not run (missing file, broken metamodel, ...).
    """
    if not model_paths:
        return []
    classes, classpath = _compiled()
    java = shutil.which("java")
    if java is None:
        raise EmfHarnessError("java missing")
    args = [java, *_JVM_FLAGS, "-cp", os.pathsep.join([str(classes), classpath]), "EmfCheck"]
    for ecore in ecore_paths:
        args += ["--ecore", str(ecore)]
    args += [str(m) for m in model_paths]
    try:
        proc = subprocess.run(
            args,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        raise EmfHarnessError(f"EmfCheck timed out after {timeout}s") from e
    if proc.returncode != 0:
        raise EmfHarnessError(f"EmfCheck exited {proc.returncode}:\n{proc.stderr}")
    try:
        models = json.loads(proc.stdout)["models"]
    except (ValueError, KeyError) as e:
        raise EmfHarnessError(f"EmfCheck printed no JSON:\n{proc.stdout}\n{proc.stderr}") from e
    return [EmfModelResult(m["file"], m["errors"], m["warnings"], m["canonical"]) for m in models]


def assert_emf_valid(ecore_paths: Sequence[Path], model_path: Path) -> EmfModelResult:
    """Fail with EMF's own complaints unless EMF loads and validates the model cleanly."""
    (result,) = emf_check(ecore_paths, [model_path])
    if result.errors:
        listing = "\n".join(f"  - {e}" for e in result.errors)
        raise AssertionError(f"EMF rejects {model_path}:\n{listing}")
    return result
