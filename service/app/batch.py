"""Batches: one generation per JSONL line, run concurrently, resumable by content hash.

A line is a generation request (`GenerationRequest`: every field allowed) whose metamodel is
named by file paths, with an output stem and the spec inline or in a file (paths relative to
the batch file). Its key is a hash over everything that
decides the result (metamodel file contents, spec text, model, options, output), so a line
whose key is in the state file (`<batch>.done.jsonl`, one record per line done, appended as
each ends) is skipped when the batch runs again: an interrupted batch does only the rest.
A line that failed on the LLM backend is not recorded, so a rerun tries it again.

Lines run `jobs` at once in threads (the local model takes turns on its own). When the
provider still answers 429 after the backend's own retries, every line pauses (growing
backoff) and the rate-limited line is queued again. With a broker, each line is a job for
the Celery workers instead, and the outputs are written here when it ends.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import Field, ValidationError

from instancegen import compilers
from instancegen.service import backends
from instancegen.service.app.instance_sets import InstanceSet
from instancegen.service.app.request import GenerationRequest, MetamodelPaths, MetamodelRef
from instancegen.service.app.set_files import write_set
from instancegen.service.core.atomic import write_atomic
from instancegen.service.core.cim import describe_validation_error
from instancegen.service.core.errors import BackendError, InputError
from instancegen.service.core.input_files import read_input_text
from instancegen.service.generation.result import GenerationResult

RATE_LIMIT_RETRIES = 5
FIRST_BACKOFF, MAX_BACKOFF = 2.0, 60.0


class BatchLine(GenerationRequest):
    """One line of a batch file: a generation request with an output stem, its metamodel
    named by file paths and its spec inline (`spec`) or in a file (`spec_file`)."""

    metamodel: list[str] | str = Field(description="An .ecore file, or several.")  # type: ignore[assignment]
    spec: str | None = None  # type: ignore[assignment]
    spec_file: str | None = None
    output: str = Field(description="Output stem: `out/bank` writes out/bank.xmi (or a set).")

    def metamodel_files(self) -> list[str]:
        return [self.metamodel] if isinstance(self.metamodel, str) else list(self.metamodel)


@dataclass
class Item:
    """A line, resolved against the batch file's folder, with its content key."""

    number: int
    line: BatchLine
    metamodels: list[Path]
    spec: str
    output: Path
    key: str


@dataclass
class Done:
    """What a finished line reports (the summary table and the state file)."""

    number: int
    output: str
    status: str  # valid, invalid, complete, incomplete, failed, skipped
    models: int = 0
    tokens: int = 0
    seconds: float = 0.0
    note: str = ""
    files: list[str] = field(default_factory=list)


def read_batch(path: Path, *, keys: bool = True) -> list[Item]:
    """Every line parsed and resolved; an InputError names the first bad line: its model
    unknown, or (`keys`: the calls run here, not on broker workers) its key missing."""
    base = path.parent
    items = []
    text = read_input_text(path, what="a batch file")
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        try:
            line = BatchLine.model_validate_json(raw)
        except ValidationError as exc:
            raise InputError(f"{path}:{number}: {describe_validation_error(exc)}") from None
        if (line.spec is None) == (line.spec_file is None):
            raise InputError(f"{path}:{number}: give exactly one of spec or spec_file.")
        for fmt in line.formats():
            compilers.get(fmt)
        try:
            backends.check_model(line.model, line.api_base, api_key_env=line.api_key_env, keys=keys)
        except InputError as exc:
            raise InputError(f"{path}:{number}: {exc.message}") from None
        metamodels = [base / m for m in line.metamodel_files()]
        spec = (
            line.spec
            if line.spec is not None
            else read_input_text(base / str(line.spec_file), what="a specification file")
        )
        items.append(
            Item(number, line, metamodels, spec, base / line.output, _key(line, metamodels, spec))
        )
    if not items:
        raise InputError(f"{path} has no lines to run.")
    return items


def _key(line: BatchLine, metamodels: list[Path], spec: str) -> str:
    digest = hashlib.sha256()
    for path in metamodels:
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError as exc:
            raise InputError(f"cannot read the metamodel {path}: {exc.strerror}.") from None
    decisive = line.model_dump(exclude={"metamodel", "spec", "spec_file"})
    digest.update(json.dumps([decisive, spec], sort_keys=True).encode())
    return digest.hexdigest()


def state_path(batch: Path) -> Path:
    return batch.with_name(f"{batch.name}.done.jsonl")


def done_keys(state: Path) -> set[str]:
    """Keys of the lines recorded as done (a torn last record is ignored)."""
    keys: set[str] = set()
    try:
        text = state.read_text(encoding="utf-8")
    except FileNotFoundError:
        return keys
    for raw in text.splitlines():
        try:
            keys.add(json.loads(raw)["key"])
        except (ValueError, KeyError, TypeError):
            continue
    return keys


class StateFile:
    """Appends one record per finished line, flushed at once (a kill loses no finished line)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(self, item: Item, done: Done) -> None:
        entry = {"key": item.key, "line": item.number, "status": done.status, "files": done.files}
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()


Runner = Callable[[Item], GenerationResult | InstanceSet]
"""Generates what a line asks for (here, or on a worker through the broker)."""


def write_outputs(item: Item, outcome: GenerationResult | InstanceSet) -> list[str]:
    """The files a line's outcome writes; returns their paths."""
    if isinstance(outcome, InstanceSet):
        return [str(p) for p in write_set(outcome, item.output, item.spec)]
    if outcome.status != "valid":
        return []
    written = []
    for fmt, text in outcome.artifacts.items():
        path = item.output.with_name(f"{item.output.name}.{compilers.get(fmt).extension}")
        write_atomic(path, text.encode("utf-8"))
        written.append(str(path))
    return written


class Throttle:
    """Shared by the batch's threads: after a 429, nobody starts an LLM call until the
    backoff has passed; each further 429 doubles it, a success resets it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._resume_at = 0.0
        self._backoff = FIRST_BACKOFF

    def wait(self) -> None:
        while (delay := self._resume_at - time.monotonic()) > 0:
            time.sleep(delay)

    def limited(self) -> float:
        with self._lock:
            delay = self._backoff
            self._resume_at = max(self._resume_at, time.monotonic() + delay)
            self._backoff = min(self._backoff * 2, MAX_BACKOFF)
            return delay

    def ok(self) -> None:
        with self._lock:
            self._backoff = FIRST_BACKOFF


def run_batch(
    items: list[Item],
    runner: Runner,
    state: StateFile,
    *,
    jobs: int,
    on_done: Callable[[Done], None],
) -> list[Done]:
    """Run the lines not yet done, `jobs` at once; reports each as it ends."""
    finished = done_keys(state.path)
    results: list[Done] = []
    todo = []
    for item in items:
        if item.key in finished:
            results.append(Done(item.number, str(item.output), "skipped", note="done before"))
        else:
            todo.append(item)
    throttle = Throttle()

    def one(item: Item) -> Done:
        return _run_one(item, runner, throttle)

    retries: dict[int, int] = {}
    with ThreadPoolExecutor(jobs, thread_name_prefix="instancegen-batch") as pool:
        pending: dict[Future[Done], Item] = {pool.submit(one, i): i for i in todo}
        while pending:
            ready, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in ready:
                item = pending.pop(future)
                done = future.result()
                if done.status == "rate-limited" and retries.get(item.number, 0) < (
                    RATE_LIMIT_RETRIES
                ):
                    retries[item.number] = retries.get(item.number, 0) + 1
                    pending[pool.submit(one, item)] = item
                    continue
                if done.status != "failed" and done.status != "rate-limited":
                    state.record(item, done)
                results.append(done)
                on_done(done)
    return sorted(results, key=lambda d: d.number)


def _run_one(item: Item, runner: Runner, throttle: Throttle) -> Done:
    throttle.wait()
    started = time.monotonic()
    try:
        outcome = runner(item)
        files = write_outputs(item, outcome)
    except BackendError as exc:
        if exc.status == 429:
            delay = throttle.limited()
            return Done(item.number, str(item.output), "rate-limited", note=f"429; {delay:.0f} s")
        return Done(item.number, str(item.output), "failed", note=exc.message)
    except InputError as exc:
        return Done(item.number, str(item.output), "failed", note=exc.message)
    throttle.ok()
    seconds = round(time.monotonic() - started, 1)
    if isinstance(outcome, InstanceSet):
        tokens = outcome.usage.prompt_tokens + outcome.usage.completion_tokens
        return Done(
            item.number, str(item.output), outcome.status, len(outcome.members), tokens,
            seconds, note="; ".join(outcome.problems[-1:]), files=files,
        )  # fmt: skip
    tokens = outcome.usage.prompt_tokens + outcome.usage.completion_tokens
    note = "" if outcome.status == "valid" else f"{len(outcome.issues)} issue(s) left"
    models = 1 if outcome.status == "valid" else 0
    return Done(item.number, str(item.output), outcome.status, models, tokens, seconds, note, files)


def request_of(item: Item, *, inline: bool = False) -> GenerationRequest:
    """The line as the request it is: its metamodel by path, or `inline` (the files' text,
    for workers on other machines), and its spec read."""
    fields = item.line.model_dump(exclude={"metamodel", "spec", "spec_file", "output"})
    source: MetamodelPaths | MetamodelRef
    if inline:
        files = {p.name: read_input_text(p, what="a metamodel file") for p in item.metamodels}
        source = MetamodelRef(files=files)
    else:
        source = MetamodelPaths(paths=[str(p) for p in item.metamodels])
    return GenerationRequest(**fields, metamodel=source, spec=item.spec)
