"""Realism checks as plugins, found through the `instancegen.checks` entry-point group.

A valid model can still be useless as test data: an IBAN whose checksum fails, a person born
in 1250, a course code that is a timestamp. A check judges one attribute value for realism;
the bundled ones register through the same entry points a third-party package uses (as
`instancegen.compilers` does), so `checks.get("iban")` and a plugin's own check are found
alike. An entry point names an object that is a `Check`, keyed by its `name`.

Which checks apply to a feature (`applied`): the ones its `instancegen` annotation names
(`check="iban"`, several separated by commas or spaces, `"none"` for none), else every check
whose `applies` accepts the feature by its name and type; a check marked `fallback` (such as
`code`) only where no other one does. `service.core.checks.audit` runs them over a model.

    from instancegen.service.core import checks
    checks.get("iban").check("DE89370400440532013000", context)  # None: it passes
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.util import find_spec
from typing import Any, NamedTuple, Protocol, runtime_checkable

from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import Attribute, EClassView
from instancegen.service.core.plugins import load_plugins

GROUP = "instancegen.checks"
NO_CHECK = "none"  # an annotation value: this feature gets no check, whatever its name


class Context(NamedTuple):
    """What a check may look at besides the value: the object's class, the attribute, the
    object's other attribute values (for checks comparing two features) and today's date.
    A named tuple: one is made per checked attribute of every object."""

    owner: EClassView
    attribute: Attribute
    values: Mapping[str, Any]
    today: date


@runtime_checkable
class Check(Protocol):
    """Judges single attribute values for realism."""

    name: str  # what annotations, findings and `inspect` call it: "iban"
    description: str  # what a passing value is, completing "Write a realistic value: …"
    # Optional `fallback: bool`: by name, it applies only where no other check does.
    # Optional `needs: tuple[str, ...]`: modules it imports when it runs; without them it is
    # left out with a warning (an annotation naming it is then `not-evaluated`).
    # Optional `constraints(owner, attribute, today) -> dict | None`: JSON Schema keywords
    # (`pattern`, `minimum`, `maximum`) that only passing values meet; generation holds a
    # small model's free values to them (`writable`), so it writes plausible ones.

    def applies(self, owner: EClassView, attribute: Attribute) -> bool:
        """Whether it applies to a feature not annotated, by the feature's name and type."""
        ...

    def check(self, value: Any, context: Context) -> str | None:
        """None when `value` passes; else why not, one clause ("the checksum fails").
        A value of a type it does not judge passes (the validator reports bad values)."""
        ...


def writable(owner: EClassView, attribute: Attribute, today: date) -> dict[str, Any]:
    """The JSON Schema keywords the checks `attribute` gets say its values should meet, the
    first check's where two give one keyword; {} when none says any."""
    found: dict[str, Any] = {}
    for c in applied(owner, attribute).checks:
        hook = getattr(c, "constraints", None)
        said = hook(owner, attribute, today) if hook is not None else None
        for key, value in (said or {}).items():
            found.setdefault(key, value)
    return found


@cache
def _registry() -> dict[str, Check]:
    found: dict[str, Check] = {}
    for name, plugin in load_plugins(GROUP, "check plugin"):
        missing = [m for m in getattr(plugin, "needs", ()) if find_spec(m) is None]
        if not isinstance(plugin, Check):
            warnings.warn(f"instancegen: entry point {name!r} is not a check", stacklevel=2)
        elif missing:
            warnings.warn(
                f"instancegen: the {plugin.name!r} check is unavailable: "
                f"{', '.join(missing)} is not installed",
                stacklevel=2,
            )
        else:
            found.setdefault(plugin.name, plugin)
    return found


def available() -> list[str]:
    """Names of the installed checks, sorted."""
    return sorted(_registry())


def get(name: str) -> Check:
    """The check of that name; an InputError listing the installed ones otherwise."""
    found = _registry().get(name)
    if found is None:
        raise InputError(f"unknown check {name!r}; available: {', '.join(available())}.")
    return found


@dataclass(frozen=True, slots=True)
class Applied:
    """The checks one feature gets, and how they were chosen."""

    checks: tuple[Check, ...]
    annotated: bool  # named by the feature's `instancegen` annotation, not by its name
    unknown: tuple[str, ...] = ()  # names the annotation gives that no installed check has


def _annotated_names(attribute: Attribute) -> tuple[str, ...] | None:
    """The check names the feature's annotation gives (() for "none"); None when it has none."""
    if attribute.check is None:
        return None
    names = tuple(n for n in re.split(r"[\s,]+", attribute.check.strip()) if n)
    return () if names == (NO_CHECK,) else names


def applied(owner: EClassView, attribute: Attribute) -> Applied:
    """The checks `attribute` of class `owner` gets (see the module docstring)."""
    registry = _registry()
    names = _annotated_names(attribute)
    if names is None:
        chosen = [c for _, c in sorted(registry.items()) if c.applies(owner, attribute)]
        specific = tuple(c for c in chosen if not getattr(c, "fallback", False))
        return Applied(specific or tuple(chosen), annotated=False)
    return Applied(
        tuple(registry[n] for n in names if n in registry),
        annotated=True,
        unknown=tuple(n for n in names if n not in registry),
    )


__all__ = [
    "GROUP",
    "Applied",
    "Check",
    "Context",
    "applied",
    "available",
    "get",
    "writable",
]
