"""Entry-point plugins, loaded the one way every plugin group of instancegen loads them
(compilers, realism checks): built-ins register like third-party packages, in name order,
and a plugin that fails to load is a warning, never the end of the others."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from importlib.metadata import entry_points
from typing import Any


def load_plugins(group: str, what: str) -> Iterator[tuple[str, Any]]:
    """(entry point name, loaded object) of each plugin of `group` that loads; `what` names
    the kind in the warning about one that does not ("compiler plugin 'x' failed to load")."""
    for ep in sorted(entry_points(group=group), key=lambda e: e.name):
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken plugin must not take the built-ins down with it
            warnings.warn(f"instancegen: {what} {ep.name!r} failed to load: {exc}", stacklevel=3)
            continue
        yield ep.name, plugin
