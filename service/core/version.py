"""The installed distribution's version, as `instancegen --version` and `/v1/healthz` report it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def installed_version() -> str:
    """The version in the package metadata; `0+unknown` when run from a tree never installed."""
    try:
        return version("instancegen")
    except PackageNotFoundError:
        return "0+unknown"
