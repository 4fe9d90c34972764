"""The threads a local model's call gets: the cores other tasks leave free, or what the user
fixed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from instancegen.service.backends import local_threads
from instancegen.service.core.errors import BackendError


class _Loadavg:
    """A `/proc/loadavg` whose runnable count changes from one read to the next."""

    def __init__(self, running: list[int]) -> None:
        self._running: Iterator[int] = iter(running)

    def read_text(self) -> str:
        return f"0.52 0.58 0.59 {next(self._running)}/211 4242\n"


@pytest.fixture(autouse=True)
def _two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(local_threads.THREADS_ENV, raising=False)
    monkeypatch.setattr(local_threads, "cores", lambda: 2)
    monkeypatch.setattr(local_threads, "LOOK_GAP", 0.0)


@pytest.mark.parametrize(
    ("running", "threads"),
    [
        ([1] * local_threads.LOOKS, 2),  # only the reader runs: both cores
        ([2] * local_threads.LOOKS, 1),  # one other task keeps a core busy
        ([5] * local_threads.LOOKS, 1),  # busier than there are cores: still one
        ([3, 1, 3, 3, 3], 2),  # a task seen once only passed by
    ],
)
def test_a_call_takes_the_cores_nothing_else_runs_on(
    monkeypatch: pytest.MonkeyPatch, running: list[int], threads: int
) -> None:
    monkeypatch.setattr(local_threads, "LOADAVG", _Loadavg(running))
    assert local_threads.for_call() == threads


def test_without_a_runnable_count_one_thread_is_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(local_threads, "LOADAVG", tmp_path / "absent")
    assert local_threads.others_running() is None
    assert local_threads.for_call() == 1


@pytest.mark.parametrize("value", ["", "auto", " AUTO "])
def test_auto_or_unset_leaves_the_choice_to_each_call(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(local_threads.THREADS_ENV, value)
    assert local_threads.fixed() is None


def test_a_fixed_number_wins_over_the_machine_s_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(local_threads.THREADS_ENV, "3")
    monkeypatch.setattr(local_threads, "LOADAVG", _Loadavg([9] * local_threads.LOOKS))
    assert local_threads.for_call() == 3


@pytest.mark.parametrize(("value", "says"), [("two", "whole number"), ("0", "at least 1")])
def test_a_bad_setting_is_named(monkeypatch: pytest.MonkeyPatch, value: str, says: str) -> None:
    monkeypatch.setenv(local_threads.THREADS_ENV, value)
    with pytest.raises(BackendError, match=says):
        local_threads.for_call()


@pytest.mark.parametrize("threads", [2, 1])
def test_each_call_runs_llama_cpp_with_the_threads_chosen_for_it(
    monkeypatch: pytest.MonkeyPatch, local_model: None, threads: int
) -> None:
    """On the bundled model: the context a call ran in holds the number chosen for that call,
    whatever the one before it had."""
    import llama_cpp

    from instancegen.service.backends.local import LocalBackend, _contexts

    monkeypatch.setattr(local_threads, "for_call", lambda: threads)
    backend = LocalBackend()
    backend.complete([{"role": "user", "content": "Say yes."}], schema=None, max_tokens=2)
    slot = max(_contexts(backend._path, backend._n_ctx).slots, key=lambda s: s.used)
    assert llama_cpp.llama_n_threads(slot.llm.ctx) == threads
    assert llama_cpp.llama_n_threads_batch(slot.llm.ctx) == threads
