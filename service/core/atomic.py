"""Write output files all-or-nothing: a failed or interrupted run never leaves half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from instancegen.service.core.errors import InputError

# Read once: os.umask can only be read by setting it, which is not thread-safe per call.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it.

    Missing parent directories are created, as users of `-o out/model.xmi` expect; a path
    that cannot be written is an InputError naming it, not a traceback.
    """
    path = Path(path)
    directory = path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError(f"{path}: cannot be written ({exc.strerror or exc}).") from None
    try:
        # mkstemp makes the file 0600; keep a replaced file's mode, else honour the umask
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_UMASK
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InputError(f"{path}: cannot be written ({exc.strerror or exc}).") from None
        raise
