"""Reading the files a user names: every failure is one InputError naming the file."""

from __future__ import annotations

from pathlib import Path

from instancegen.service.core.errors import InputError


def read_input(path: Path, display: str | None = None, *, what: str = "file") -> bytes:
    """The bytes of `path`; missing, a directory or unreadable become a clean InputError."""
    name = display if display is not None else str(path)
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{name}: no such file.") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory, not {what}.") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror}).") from None


def read_input_text(path: Path, *, what: str = "a text file") -> str:
    """The UTF-8 text of `path` (a spec file), with the same clean errors."""
    data = read_input(path, what=what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: cannot be read as UTF-8 text ({exc.reason}).") from None
