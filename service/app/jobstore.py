"""SQLite persistence: registered metamodels (their files) and jobs (request, status, events,
result), so finished results survive a restart and a crash never loses a job silently.

One connection in WAL mode behind a lock: statements are short, and the lock lets worker
threads (generation callbacks) and the event loop share it safely.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

_SCHEMA = """
CREATE TABLE IF NOT EXISTS metamodels (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    ns_uri TEXT,
    classes TEXT NOT NULL,
    files TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    result TEXT,
    error TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    job_id TEXT NOT NULL REFERENCES jobs(id),
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
"""

TERMINAL = frozenset({"finished", "failed", "interrupted"})


@dataclass(frozen=True)
class StoredMetamodel:
    id: str
    name: str
    ns_uri: str | None
    classes: list[str]
    files: dict[str, str]


@dataclass(frozen=True)
class StoredJob:
    id: str
    request: dict[str, Any]
    status: str
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    created: float
    updated: float


class JobStore(Protocol):
    """What the routes, the registry and the runners need of a store: `Store` (SQLite,
    embedded) or `service.broker.redis_store.RedisStore` (shared by replicas)."""

    def put_metamodel(self, mm: StoredMetamodel) -> None: ...
    def get_metamodel(self, mm_id: str) -> StoredMetamodel | None: ...
    def list_metamodels(self) -> list[StoredMetamodel]: ...
    def create_job(self, request: dict[str, Any]) -> str: ...
    def get_job(self, job_id: str) -> StoredJob | None: ...
    def events_after(self, job_id: str, seq: int) -> list[tuple[int, dict[str, Any]]]: ...
    def close(self) -> None: ...


class Store:
    """The server's durable state."""

    def __init__(self, path: Path) -> None:
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._tx() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # metamodels

    def put_metamodel(self, mm: StoredMetamodel) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO metamodels VALUES (?, ?, ?, ?, ?, ?)",
                (
                    mm.id,
                    mm.name,
                    mm.ns_uri,
                    json.dumps(mm.classes),
                    json.dumps(mm.files),
                    time.time(),
                ),
            )

    def get_metamodel(self, mm_id: str) -> StoredMetamodel | None:
        with self._tx() as conn:
            row = conn.execute(
                "SELECT id, name, ns_uri, classes, files FROM metamodels WHERE id = ?", (mm_id,)
            ).fetchone()
        return _metamodel(row) if row else None

    def list_metamodels(self) -> list[StoredMetamodel]:
        with self._tx() as conn:
            rows = conn.execute(
                "SELECT id, name, ns_uri, classes, files FROM metamodels ORDER BY created"
            ).fetchall()
        return [_metamodel(r) for r in rows]

    # jobs

    def create_job(self, request: dict[str, Any]) -> str:
        job_id = uuid.uuid4().hex
        now = time.time()
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO jobs VALUES (?, ?, 'queued', NULL, NULL, ?, ?)",
                (job_id, json.dumps(request), now, now),
            )
        return job_id

    def set_status(
        self,
        job_id: str,
        status: str,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        with self._tx() as conn:
            conn.execute(
                "UPDATE jobs SET status = ?, result = ?, error = ?, updated = ? WHERE id = ?",
                (
                    status,
                    json.dumps(result) if result is not None else None,
                    json.dumps(error) if error is not None else None,
                    time.time(),
                    job_id,
                ),
            )

    def get_job(self, job_id: str) -> StoredJob | None:
        with self._tx() as conn:
            row = conn.execute(
                "SELECT id, request, status, result, error, created, updated FROM jobs "
                "WHERE id = ?",
                (job_id,),
            ).fetchone()
        if row is None:
            return None
        return StoredJob(
            id=row[0],
            request=json.loads(row[1]),
            status=row[2],
            result=json.loads(row[3]) if row[3] else None,
            error=json.loads(row[4]) if row[4] else None,
            created=row[5],
            updated=row[6],
        )

    def interrupt_unfinished(self, last_event: dict[str, Any]) -> list[str]:
        """Mark jobs a previous process left queued or running as `interrupted`, ending
        each one's event stream with `last_event`, numbered with the job's last attempt;
        returns their ids."""
        with self._tx() as conn:
            ids = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM jobs WHERE status IN ('queued', 'running')"
                ).fetchall()
            ]
            conn.execute(
                "UPDATE jobs SET status = 'interrupted', updated = ? "
                "WHERE status IN ('queued', 'running')",
                (time.time(),),
            )
        for job_id in ids:
            attempts = (e.get("attempt", 0) for _, e in self.events_after(job_id, 0))
            self.add_event(job_id, {**last_event, "attempt": max(attempts, default=0)})
        return ids

    def purge_finished(self, older_than: float) -> int:
        """Delete jobs over (finished, failed, interrupted) before `older_than` (epoch s),
        with their events and their requests (inline metamodels included); returns how many."""
        with self._tx() as conn:
            conn.execute("BEGIN")
            ids = [
                (row[0],)
                for row in conn.execute(
                    "SELECT id FROM jobs WHERE status IN ('finished', 'failed', 'interrupted') "
                    "AND updated < ?",
                    (older_than,),
                ).fetchall()
            ]
            conn.executemany("DELETE FROM events WHERE job_id = ?", ids)
            conn.executemany("DELETE FROM jobs WHERE id = ?", ids)
            conn.execute("COMMIT")
        return len(ids)

    def add_event(self, job_id: str, event: dict[str, Any]) -> int:
        """Append an event; returns its sequence number (1, 2, …), the SSE `id`."""
        with self._tx() as conn:
            row = conn.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM events WHERE job_id = ?", (job_id,)
            ).fetchone()
            seq = int(row[0]) + 1
            conn.execute("INSERT INTO events VALUES (?, ?, ?)", (job_id, seq, json.dumps(event)))
        return seq

    def events_after(self, job_id: str, seq: int) -> list[tuple[int, dict[str, Any]]]:
        with self._tx() as conn:
            rows = conn.execute(
                "SELECT seq, event FROM events WHERE job_id = ? AND seq > ? ORDER BY seq",
                (job_id, seq),
            ).fetchall()
        return [(int(s), json.loads(e)) for s, e in rows]


def _metamodel(row: tuple[Any, ...]) -> StoredMetamodel:
    return StoredMetamodel(
        id=row[0],
        name=row[1],
        ns_uri=row[2],
        classes=json.loads(row[3]),
        files=json.loads(row[4]),
    )
