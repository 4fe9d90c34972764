"""Jobs, their events and registered metamodels in Redis, shared by every replica and worker.

Why Redis and not Postgres: Redis is already there as Celery's broker, so shared state adds no
second server to run; job state is small and short-lived (a TTL ends it, which Redis does on
its own with EXPIRE); and a job's events are a Redis stream, which one `XREAD BLOCK` both
replays and follows, so SSE through any replica needs no polling and no LISTEN/NOTIFY.

Keys (prefix `instancegen:`): `job:<id>` a hash (request, status, result, error, created,
updated, finishes), `job:<id>:events` a stream with ids `0-1`, `0-2`, … (the SSE ids),
`job:<id>:lease` the worker holding the job, `metamodel:<id>` and the `metamodels` index.

Exactly once: a worker claims a job with a lease (SET NX PX) and heartbeats it; a worker
killed mid-job lets the lease lapse, and the broker's redelivered message finds the job free.
Finishing is one Lua script: it stores the result, appends the `finished` event and ends
the lease only if the job is not over yet and the lease is still this worker's, so a
result is never stored twice.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Literal, cast

import redis

from instancegen.service.app.jobstore import TERMINAL, StoredJob, StoredMetamodel
from instancegen.service.generation.result import Event

PREFIX = "instancegen:"
# redis-py gives up on a reply after 5 s by default; a follower's XREAD BLOCK waits longer
SOCKET_TIMEOUT = 60.0
MAX_BLOCK = 30.0
Claim = Literal["claimed", "busy", "done", "gone"]

_CLAIM = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'gone' end
if status == 'finished' or status == 'failed' or status == 'interrupted' then return 'done' end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('HSET', KEYS[1], 'status', 'running', 'updated', ARGV[3])
  return 'claimed'
end
if redis.call('GET', KEYS[2]) == ARGV[1] then return 'claimed' end
return 'busy'
"""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

_FINISH = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 0 end
if status == 'finished' or status == 'failed' or status == 'interrupted' then return 0 end
if ARGV[1] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[1] then return -1 end
redis.call('XADD', KEYS[2], '0-*', 'e', ARGV[5])
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'result', ARGV[3], 'error', ARGV[4],
           'updated', ARGV[6])
redis.call('HINCRBY', KEYS[1], 'finishes', 1)
redis.call('DEL', KEYS[3])
redis.call('EXPIRE', KEYS[1], ARGV[7])
redis.call('EXPIRE', KEYS[2], ARGV[7])
return 1
"""


class RedisStore:
    """The `Store` interface (jobs, events, metamodels) over Redis, plus job leases."""

    def __init__(self, url: str, *, job_ttl_seconds: int = 7 * 24 * 3600) -> None:
        # decode_responses: every reply is str, which redis-py's annotations cannot express
        self._redis: Any = redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=SOCKET_TIMEOUT
        )
        self.job_ttl_seconds = job_ttl_seconds
        self._url = url
        self._async: Any = None  # made on first use, bound to the event loop that uses it
        self._claim = self._redis.register_script(_CLAIM)
        self._renew = self._redis.register_script(_RENEW)
        self._finish = self._redis.register_script(_FINISH)

    def close(self) -> None:
        self._redis.close()

    async def aclose(self) -> None:
        if self._async is not None:
            await self._async.aclose()

    def ping(self) -> None:
        """Raise redis.ConnectionError now if the broker cannot be reached."""
        self._redis.ping()

    # metamodels

    def put_metamodel(self, mm: StoredMetamodel) -> None:
        key = f"{PREFIX}metamodel:{mm.id}"
        fields = {
            "name": mm.name,
            "ns_uri": json.dumps(mm.ns_uri),
            "classes": json.dumps(mm.classes),
            "files": json.dumps(mm.files),
        }
        pipe = self._redis.pipeline()
        pipe.hset(key, mapping=fields)
        pipe.zadd(f"{PREFIX}metamodels", {mm.id: time.time()}, nx=True)
        pipe.execute()

    def get_metamodel(self, mm_id: str) -> StoredMetamodel | None:
        row = self._redis.hgetall(f"{PREFIX}metamodel:{mm_id}")
        return _metamodel(mm_id, row) if row else None

    def list_metamodels(self) -> list[StoredMetamodel]:
        ids = self._redis.zrange(f"{PREFIX}metamodels", 0, -1)
        pipe = self._redis.pipeline()
        for mm_id in ids:
            pipe.hgetall(f"{PREFIX}metamodel:{mm_id}")
        return [_metamodel(i, row) for i, row in zip(ids, pipe.execute(), strict=True) if row]

    # jobs

    def create_job(self, request: dict[str, Any]) -> str:
        job_id = uuid.uuid4().hex
        now = time.time()
        self._redis.hset(
            _job(job_id),
            mapping={
                "request": json.dumps(request),
                "status": "queued",
                "created": now,
                "updated": now,
                "finishes": 0,
            },
        )
        return job_id

    def get_job(self, job_id: str) -> StoredJob | None:
        row = self._redis.hgetall(_job(job_id))
        if not row:
            return None
        return StoredJob(
            id=job_id,
            request=json.loads(row["request"]),
            status=row["status"],
            result=json.loads(row["result"]) if row.get("result") else None,
            error=json.loads(row["error"]) if row.get("error") else None,
            created=float(row["created"]),
            updated=float(row["updated"]),
        )

    def finishes(self, job_id: str) -> int:
        """How many times a result was stored for the job (exactly once: 1)."""
        return int(self._redis.hget(_job(job_id), "finishes") or 0)

    def set_status(
        self,
        job_id: str,
        status: str,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        """Only for a job that cannot run (its message could not be sent): ends it failed."""
        if status not in TERMINAL:
            self._redis.hset(_job(job_id), mapping={"status": status, "updated": time.time()})
            return
        event = Event(type="finished", data={"status": status, "error": error})
        self.finish(job_id, "", status, result, error, event.model_dump(mode="json"))

    def add_event(self, job_id: str, event: dict[str, Any]) -> int:
        entry = self._redis.xadd(_events(job_id), {"e": json.dumps(event)}, id="0-*")
        return _seq(entry)

    def events_after(self, job_id: str, seq: int) -> list[tuple[int, dict[str, Any]]]:
        entries = self._redis.xrange(_events(job_id), min=f"(0-{seq}", max="+")
        return [(_seq(i), json.loads(f["e"])) for i, f in entries]

    def wait_for_events(self, job_id: str, after: int, timeout: float) -> bool:
        """Block until the job has an event after `after`, or `timeout` seconds pass."""
        block = int(min(timeout, MAX_BLOCK) * 1e3)
        got = self._redis.xread({_events(job_id): f"0-{after}"}, count=1, block=block)
        return bool(got)

    async def wait_for_events_async(self, job_id: str, after: int, timeout: float) -> bool:
        """`wait_for_events` on the event loop: a follower holds no thread while it waits
        (a service replica may have many SSE followers and waiting generate calls)."""
        if self._async is None:
            import redis.asyncio

            self._async = redis.asyncio.Redis.from_url(
                self._url, decode_responses=True, socket_timeout=SOCKET_TIMEOUT
            )
        block = int(min(timeout, MAX_BLOCK) * 1e3)
        got = await self._async.xread({_events(job_id): f"0-{after}"}, count=1, block=block)
        return bool(got)

    # leases and the exactly-once finish

    def claim(self, job_id: str, token: str, lease_seconds: float) -> Claim:
        """Take the job for the worker `token` names, unless it is over or held."""
        answer = self._claim(
            keys=[_job(job_id), _lease(job_id)],
            args=[token, int(lease_seconds * 1e3), time.time()],
        )
        return cast(Claim, answer)

    def renew(self, job_id: str, token: str, lease_seconds: float) -> bool:
        """Extend this worker's lease; False if it lapsed and is gone or someone else's."""
        return bool(self._renew(keys=[_lease(job_id)], args=[token, int(lease_seconds * 1e3)]))

    def holder(self, job_id: str) -> str | None:
        """The token of the worker holding the job, if any."""
        return cast(str | None, self._redis.get(_lease(job_id)))

    def finish(
        self,
        job_id: str,
        token: str,
        status: str,
        result: dict[str, Any] | None,
        error: dict[str, Any] | None,
        last_event: dict[str, Any],
    ) -> bool:
        """Store the outcome and the `finished` event at once, if the job is not over and
        `token` (empty: no lease needed) still holds it; True if this call stored it."""
        stored = self._finish(
            keys=[_job(job_id), _events(job_id), _lease(job_id)],
            args=[
                token,
                status,
                json.dumps(result) if result is not None else "",
                json.dumps(error) if error is not None else "",
                json.dumps(last_event),
                time.time(),
                self.job_ttl_seconds,
            ],
        )
        return stored == 1


def _job(job_id: str) -> str:
    return f"{PREFIX}job:{job_id}"


def _events(job_id: str) -> str:
    return f"{PREFIX}job:{job_id}:events"


def _lease(job_id: str) -> str:
    return f"{PREFIX}job:{job_id}:lease"


def _seq(entry_id: str) -> int:
    return int(entry_id.partition("-")[2])


def _metamodel(mm_id: str, row: dict[str, str]) -> StoredMetamodel:
    return StoredMetamodel(
        id=mm_id,
        name=row["name"],
        ns_uri=json.loads(row["ns_uri"]),
        classes=json.loads(row["classes"]),
        files=json.loads(row["files"]),
    )
