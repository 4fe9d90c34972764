"""How many threads llama.cpp gets for one call: the cores nothing else is using.

llama.cpp's OpenMP threads spin at the barriers between a token's operations. On an idle
2-core machine two threads generate about 1.3x faster than one; when another process keeps a
core busy, the thread that shares its core stalls every barrier, and two threads were slower
than one (1.3x slower here, about 10x on a machine busier still). So by default each call
looks at what is running now (the runnable tasks the kernel counts in `/proc/loadavg`,
least of a few looks over a few milliseconds, so a task that only passes by is not counted)
and takes the cores left over, at least one. `INSTANCEGEN_LOCAL_THREADS=N` fixes the number;
where `/proc/loadavg` cannot be read, one thread is used, as before this was chosen per call.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from instancegen.service.core.errors import BackendError

THREADS_ENV = "INSTANCEGEN_LOCAL_THREADS"
LOADAVG = Path("/proc/loadavg")
LOOKS = 5  # reads of the runnable count, LOOK_GAP seconds apart; the least is taken
LOOK_GAP = 0.002


def fixed() -> int | None:
    """The number `INSTANCEGEN_LOCAL_THREADS` sets, None when unset or `auto`."""
    value = os.environ.get(THREADS_ENV, "").strip().lower()
    if value in ("", "auto"):
        return None
    try:
        threads = int(value)
    except ValueError:
        raise BackendError(f"{THREADS_ENV} must be a whole number or `auto`.") from None
    if threads < 1:
        raise BackendError(f"{THREADS_ENV} must be at least 1.")
    return threads


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def others_running() -> int | None:
    """Tasks other than this one that are runnable now, None when the kernel does not say."""
    least: int | None = None
    for look in range(LOOKS):
        if look:
            time.sleep(LOOK_GAP)
        try:
            running = int(LOADAVG.read_text().split()[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            return None
        least = running if least is None else min(least, running)
    return None if least is None else max(0, least - 1)  # the reading thread counts itself


def for_call() -> int:
    """The threads llama.cpp gets for the next call."""
    chosen = fixed()
    if chosen is not None:
        return chosen
    busy = others_running()
    if busy is None:
        return 1
    return max(1, cores() - busy)
