"""One embedded server per database file.

On start an embedded server marks the jobs it finds queued or running as `interrupted`: they
belonged to a previous process that is gone. A second server started on the same file would
wrongly do that to the first one's live jobs, so each server holds an exclusive lock on
`<db>.lock` for its lifetime, and a second one is refused. The OS drops the lock when the
process dies (even by `kill -9`), so a crashed server never blocks the next one.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from instancegen.service.core.errors import InputError


class DatabaseLock:
    """An exclusive, non-blocking lock on the database's `.lock` file."""

    def __init__(self, db_path: Path) -> None:
        self.path = Path(f"{db_path}.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise InputError naming the file another server holds."""
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise InputError(
                f"another instancegen server is already using {self.path.with_suffix('')}; "
                "stop it, give this one its own --db, or run several replicas with --broker."
            ) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None

    def check(self) -> None:
        """Refuse now if another server holds the lock (a clear error before serving)."""
        self.acquire()
        self.release()
