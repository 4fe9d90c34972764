"""Service settings, each overridable through an `INSTANCEGEN_*` environment variable.

Read once when the app is created, so a running server does not change behaviour under a
request; the `serve` command overrides single values from its options.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from instancegen.service.backends import local_models
from instancegen.service.core.errors import InputError


def default_db_path() -> Path:
    """`$INSTANCEGEN_DB`, else `instancegen.db` under the user's data dir (XDG)."""
    explicit = os.environ.get("INSTANCEGEN_DB")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "instancegen" / "instancegen.db"


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InputError(f"{name} must be a whole number, not {raw!r}.") from None
    if value < 1:
        raise InputError(f"{name} must be at least 1, not {value}.")
    return value


def _list_env(name: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in os.environ.get(name, "").split(",") if v.strip())


@dataclass(frozen=True)
class Settings:
    """What an operator can tune: storage, auth, limits, CORS."""

    db_path: Path = field(default_factory=default_db_path)
    # Empty: no auth. Otherwise every endpoint but /v1/healthz needs `Bearer <one of these>`.
    api_keys: tuple[str, ...] = ()
    # Bodies above this are refused with 413 before they are read in full.
    max_body_bytes: int = 20 * 1024 * 1024
    # Generations queued or running at once (sync and jobs); more answer 429.
    max_generations: int = 8
    retry_after_seconds: int = 10
    cors_origins: tuple[str, ...] = ()
    # `api_base` values a request may name. Empty: none, so no request can make the server
    # connect to a URL of the caller's choosing (SSRF); the provider's default is used.
    api_bases: tuple[str, ...] = ()
    # `api_key_env` values a request may name (environment variables holding LLM keys).
    # Empty: none, so no request can have the server send one of its variables anywhere.
    api_key_envs: tuple[str, ...] = ()
    # Directories whose .gguf files a request may run as `local:PATH`. Empty: none, so no
    # request can make the server read a file of the caller's choosing.
    gguf_dirs: tuple[Path, ...] = ()
    # Loaded metamodels kept in memory, by content hash.
    metamodel_cache_size: int = 64
    # LLMs the playground page offers besides `local` (LiteLLM strings). An entry may name the
    # server to use as `model=api_base`; that api_base must also be in `api_bases`.
    models: tuple[str, ...] = ()
    # Seconds a job is kept after it is over (its request, inline metamodel, events, result).
    job_ttl_seconds: int = 7 * 24 * 3600
    # With a broker (redis://…): jobs run on Celery workers, their state is in Redis.
    broker_url: str | None = None
    # Seconds a message a worker took may stay unacknowledged before another worker gets it.
    visibility_timeout_seconds: int = 300
    # Seconds a worker's hold on a job lasts without a heartbeat (a killed worker's lapses).
    lease_seconds: int = 30

    @classmethod
    def from_env(cls) -> Settings:
        """Defaults overridden by `INSTANCEGEN_DB`, `_API_KEYS`, `_MAX_BODY_BYTES`,
        `_MAX_GENERATIONS`, `_RETRY_AFTER`, `_CORS_ORIGINS`, `_API_BASES`, `_API_KEY_ENVS`,
        `_MODELS` (comma-separated), `_GGUF_DIRS` (the OS path separator or commas),
        `_JOB_TTL`, `_VISIBILITY_TIMEOUT`, `_LEASE_SECONDS` (seconds), `_BROKER` (a URL)."""
        return cls(
            db_path=default_db_path(),
            api_keys=_list_env("INSTANCEGEN_API_KEYS"),
            max_body_bytes=_int_env("INSTANCEGEN_MAX_BODY_BYTES", cls.max_body_bytes),
            max_generations=_int_env("INSTANCEGEN_MAX_GENERATIONS", cls.max_generations),
            retry_after_seconds=_int_env("INSTANCEGEN_RETRY_AFTER", cls.retry_after_seconds),
            cors_origins=_list_env("INSTANCEGEN_CORS_ORIGINS"),
            api_bases=_list_env("INSTANCEGEN_API_BASES"),
            api_key_envs=_list_env("INSTANCEGEN_API_KEY_ENVS"),
            gguf_dirs=local_models.gguf_dirs(),
            models=_list_env("INSTANCEGEN_MODELS"),
            job_ttl_seconds=_int_env("INSTANCEGEN_JOB_TTL", cls.job_ttl_seconds),
            broker_url=os.environ.get("INSTANCEGEN_BROKER") or None,
            visibility_timeout_seconds=_int_env(
                "INSTANCEGEN_VISIBILITY_TIMEOUT", cls.visibility_timeout_seconds
            ),
            lease_seconds=_int_env("INSTANCEGEN_LEASE_SECONDS", cls.lease_seconds),
        )
