"""A GGUF model's evaluated prompt, kept on disk from one process to the next.

Every generation's first prompt begins with the same system text and worked example (about a
thousand tokens), which a fresh process would evaluate again: seconds on a CPU. So after a
fresh llama.cpp context's first call, the tokens it evaluated and their KV cache are saved to
a file in the user's cache directory, one per model file and context size. A fresh context in
the next process loads that file, and llama-cpp-python's prefix matching evaluates only what
follows the part the new prompt shares with it; what the answer is does not change.

A file that cannot be loaded (written by another llama.cpp, cut short) is set aside, and the
prompt is evaluated in full, as without it. `INSTANCEGEN_LOCAL_STATE=off` turns this off;
`INSTANCEGEN_CACHE_DIR` moves the directory (default `$XDG_CACHE_HOME/instancegen`, else
`~/.cache/instancegen`).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

STATE_ENV = "INSTANCEGEN_LOCAL_STATE"
CACHE_ENV = "INSTANCEGEN_CACHE_DIR"


def cache_dir() -> Path:
    """Where instancegen keeps what it can compute again (nothing a user must keep)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "instancegen"


def state_file(model_path: str, n_ctx: int) -> Path | None:
    """The state file of a model file run with `n_ctx` context tokens; None when turned off.
    The name changes with the file's size and time and with llama.cpp's version, so a state
    is never loaded into another model or a llama.cpp that may lay it out otherwise."""
    if os.environ.get(STATE_ENV, "").lower() in ("off", "0", "no", "false"):
        return None
    import llama_cpp

    stat = Path(model_path).stat()
    key = f"{Path(model_path).resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\0{n_ctx}"
    key += f"\0{llama_cpp.__version__}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return cache_dir() / "llama-state" / f"{digest}.bin"


def restore(llm: Any, path: Path | None) -> int:
    """Load the state at `path` into the fresh context `llm`: the number of tokens it holds
    (0 when there is none or it cannot be loaded)."""
    if path is None or not path.is_file():
        return 0
    import llama_cpp

    capacity = llm.n_ctx()
    tokens = (llama_cpp.llama_token * capacity)()
    count = ctypes.c_size_t(0)
    read = llama_cpp.llama_state_seq_load_file(
        llm.ctx, str(path).encode(), 0, tokens, capacity, ctypes.byref(count)
    )
    n = count.value
    if read == 0 or not 0 < n <= capacity:
        llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(llm.ctx), True)
        with contextlib.suppress(OSError):
            path.replace(path.with_suffix(".unreadable"))
        return 0
    llm.input_ids[:n] = tokens[:n]
    llm.n_tokens = n
    return n


def save(llm: Any, path: Path | None) -> None:
    """Write what `llm` has evaluated to `path`, atomically (a reader never sees half a
    file); a cache that cannot be written is skipped, never an error of the generation."""
    if path is None or llm.n_tokens == 0:
        return
    import llama_cpp

    n = llm.n_tokens
    tokens = (llama_cpp.llama_token * n)(*(int(t) for t in llm.input_ids[:n]))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
        os.close(fd)
    except OSError:
        return
    with contextlib.suppress(OSError):
        if llama_cpp.llama_state_seq_save_file(llm.ctx, tmp.encode(), 0, tokens, n) > 0:
            os.replace(tmp, path)
            return
    with contextlib.suppress(OSError):
        os.unlink(tmp)  # not written, or not moved into place
