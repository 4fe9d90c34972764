"""Pausing the cyclic garbage collector around bulk building of many small objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a model is built or read: hundreds of
    thousands of small containers would otherwise trigger repeated full passes over every
    live object (half of the time of parsing a large CIM).

    On the way out, everything tracked is moved to the oldest generation (`freeze` then
    `unfreeze`, both O(1)); left in the youngest, the new objects would all be traversed by
    the next few collections, at the first allocations after the pause. Cyclic garbage moved
    along is still collected, by the next full collection. Skipped when the application has
    frozen objects of its own (`unfreeze` would release them)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if was_enabled:
            gc.enable()
