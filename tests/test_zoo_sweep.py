"""Every public metamodel works: `schema`, `prompt` and `inspect` succeed, or refuse with exit 2
and one sentence, on every `.ecore` of the Atlantic Ecore zoo and of the MONDO transformation
zoo's inputs (`fixtures/zoo`, see its NOTICE.md), for the bundled model's strategy (`local`,
two-phase) and a capable provider's (`openai/gpt-4o`, strict) alike.

The commands run in-process through the CLI's own error boundary (`main`), in forked workers,
each metamodel loaded once for its five commands. No command may reach the network or need a
key: every socket connection is refused, and no provider key is set."""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os
import socket
import sys
import tarfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from instancegen.service import backends
from instancegen.service.cli import main
from instancegen.service.core import ecore_loader

ZOO = Path(__file__).parent / "fixtures" / "zoo"
ARCHIVES = ("atlantic-ecore.tar.xz", "mondo.tar.xz")
SWEPT = 304 + 21  # the Atlantic Ecore zoo's .ecore files, and MONDO's distinct inputs
SPEC = "A model with two objects of each kind, each with a name."
COMMANDS: tuple[tuple[str, ...], ...] = (
    ("schema", "--model", "local"),
    ("prompt", "--model", "local", "--spec", SPEC),
    ("inspect",),
    ("schema", "--model", "openai/gpt-4o"),
    ("prompt", "--model", "openai/gpt-4o", "--spec", SPEC),
)
# Metamodels instancegen refuses, and why (EMF rejects the first three too).
REFUSED = {
    "MAS.ecore": "cannot be resolved: the file declares no 'Non'",
    "PASSI.ecore": "cannot be resolved: the file declares no 'Solution'",
    "BPEL.ecore": "an enum literal has no name",
    "MiningMart_ViewCaseRepresentation.ecore": "a reference whose eType is not a class",
    "models__UML.ecore": "points into the annotation 'duplicates'",
    "mlhim2.ecore": "XMLType",  # an XMLType class (AnyType) the built-in package lacks
}
PROVIDER_KEYS = ("OPENAI_API_KEY", "AZURE_API_KEY", "ANTHROPIC_API_KEY")
CHUNK = 8  # metamodels a worker takes at a time


@dataclass(frozen=True)
class Outcome:
    """One command on one metamodel: its exit code and what went wrong, if anything."""

    metamodel: str
    command: str
    code: int
    problem: str  # why the output is not what the exit code promises; "" when it is
    stderr: str


@pytest.fixture(scope="module")
def zoo(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The vendored zoos, unpacked: every `.ecore` in them."""
    where = tmp_path_factory.mktemp("zoo")
    for name in ARCHIVES:
        with tarfile.open(ZOO / name) as archive:
            archive.extractall(where, filter="data")
    return sorted(where.rglob("*.ecore"))


def test_every_public_metamodel_is_served_or_refused_in_one_sentence(
    zoo: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in PROVIDER_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(socket.socket, "connect", _no_network)  # the workers inherit both
    monkeypatch.setattr(socket, "create_connection", _no_network)
    backends.capabilities("openai/gpt-4o", None)  # import LiteLLM once, before the workers fork
    outcomes = [o for chunk in _in_workers(_sweep, zoo) for o in chunk]

    assert len(zoo) == SWEPT
    assert len(outcomes) == SWEPT * len(COMMANDS)
    broken = [o for o in outcomes if o.problem]
    assert not broken, "\n".join(f"{o.metamodel} {o.command}: {o.problem}" for o in broken)
    refused = {o.metamodel: o.stderr for o in outcomes if o.code == 2}
    unexpected = {m: e for m, e in refused.items() if m not in REFUSED or REFUSED[m] not in e}
    assert not unexpected, unexpected
    served = SWEPT - len(refused)
    print(
        f"\nzoo sweep: {SWEPT} metamodels x {len(COMMANDS)} commands; {served} served, "
        f"{len(refused)} refused in one sentence"
    )


def _in_workers(
    work: Callable[[list[Path]], list[Outcome]], paths: list[Path]
) -> Iterator[list[Outcome]]:
    """`work` over `paths` in forked workers, one per core, a few metamodels at a time (the
    large ones take seconds: small chunks keep the cores busy to the end)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    chunks = [paths[i : i + CHUNK] for i in range(0, len(paths), CHUNK)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(cores, mp_context=context, initializer=_load_once) as pool:
        yield from pool.map(work, chunks)


def _sweep(paths: list[Path]) -> list[Outcome]:
    """Every command on every metamodel of `paths`."""
    outcomes = []
    for path in paths:
        for command in COMMANDS:
            outcomes.append(_run(path, command))
        _LOADED.clear()
    return outcomes


def _no_network(*args: Any, **kwargs: Any) -> Any:
    raise OSError("the zoo sweep makes no network call")


_LOADED: dict[tuple[str, ...], Any] = {}


def _load_once() -> None:
    """A worker loads each metamodel once for its five commands (the loader is what they
    share)."""
    original = ecore_loader._load

    def load(files: Any) -> Any:
        key = tuple(map(str, files))
        if key not in _LOADED:
            _LOADED[key] = original(files)
        return _LOADED[key]

    ecore_loader._load = load  # type: ignore[assignment]


def _run(path: Path, command: tuple[str, ...]) -> Outcome:
    name, *options = command
    sys.argv = ["instancegen", name, "-m", str(path), *options]
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
    label = " ".join(command[:3])
    stderr = err.getvalue().strip()
    return Outcome(path.name, label, code, _problem(name, code, out.getvalue(), stderr), stderr)


def _problem(command: str, code: int, stdout: str, stderr: str) -> str:
    """What is wrong with a command's result: '' for a served or cleanly refused request."""
    if code == 2:
        lines = stderr.splitlines()
        if len(lines) == 1 and lines[0].startswith("error: ") and lines[0].endswith("."):
            return ""
        return f"exit 2 without one sentence: {stderr[-500:]}"
    if code != 0:
        return f"exit {code}: {stderr[-500:]}"
    if command == "schema":
        try:
            json.loads(stdout)
        except ValueError:
            return "schema printed no JSON"
    elif command == "prompt" and SPEC not in stdout:
        return "the prompt does not carry the spec"
    elif command == "inspect" and "tokens: Emfatic text" not in stdout:
        return "inspect printed no summary"
    return ""
