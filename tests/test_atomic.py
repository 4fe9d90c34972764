"""Outputs are all-or-nothing, and unwritable paths are clean input errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from instancegen.service.core import atomic
from instancegen.service.core.atomic import write_atomic
from instancegen.service.core.errors import InputError


def test_creates_parents_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.xmi"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.xmi"]


def test_unwritable_path_is_input_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot be written"):
        write_atomic(blocker / "out.xmi", b"data")


def test_directory_target_keeps_nothing_half_written(tmp_path: Path) -> None:
    (tmp_path / "out.xmi").mkdir()
    with pytest.raises(InputError, match=r"out\.xmi"):
        write_atomic(tmp_path / "out.xmi", b"data")
    assert [p.name for p in tmp_path.iterdir()] == ["out.xmi"]


def test_new_files_honour_the_umask_and_replaced_ones_keep_their_mode(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.xmi"
    write_atomic(fresh, b"x")
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~atomic._UMASK
    kept = tmp_path / "kept.xmi"
    kept.write_bytes(b"old")
    kept.chmod(0o640)
    write_atomic(kept, b"new")
    assert kept.stat().st_mode & 0o777 == 0o640
