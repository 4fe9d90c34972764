"""Metamodels from requests: loaded in memory only, cached by content hash, registrable by id.

Loading parses and resolves the whole metamodel, so every request naming the same content
(inline or by id) reuses one loaded `Metamodel` from a small LRU cache.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from instancegen.service.app.jobstore import JobStore, StoredMetamodel
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.ocl.sources import with_constraints
from instancegen.service.http.models import MetamodelInfo, MetamodelRef, MetamodelUpload
from instancegen.service.http.problems import ApiError

ID_LENGTH = 16


def content_key(files: dict[str, str]) -> str:
    """A hash over file names and contents (names matter: files refer to each other by them);
    any text hashes, lone surrogates included (the loader then refuses what it cannot read)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(hashlib.sha256(name.encode("utf-8", "surrogatepass")).digest())
        digest.update(hashlib.sha256(files[name].encode("utf-8", "surrogatepass")).digest())
    return digest.hexdigest()


class MetamodelRegistry:
    """Resolves `metamodel` fields of requests; registers uploads in the store."""

    def __init__(self, store: JobStore, cache_size: int) -> None:
        self._store = store
        self._cache: OrderedDict[str, Metamodel] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        # pyecore keeps global registries; loading one metamodel at a time keeps them sane,
        # while cache hits never wait behind a slow load.
        self._load_lock = threading.Lock()

    def register(self, upload: MetamodelUpload) -> MetamodelInfo:
        """Load (so bad metamodels are refused now) and store; the id is a content hash."""
        files = upload.as_files()
        mm = self._load(files)
        info = describe(mm, mm.content_hash[:ID_LENGTH])
        self._store.put_metamodel(
            StoredMetamodel(info.id, info.name, info.nsURI, info.classes, files)
        )
        return info

    def registered(self) -> list[MetamodelInfo]:
        return [
            MetamodelInfo(id=m.id, name=m.name, nsURI=m.ns_uri, classes=m.classes)
            for m in self._store.list_metamodels()
        ]

    def resolve(self, ref: MetamodelRef, constraints: str | None = None) -> Metamodel:
        """The metamodel a request names (inline or registered id), plus the invariants of
        the request's Complete OCL `constraints`, if any."""
        mm = self._load(ref.as_files()) if ref.id is None else self.by_id(ref.id)
        if constraints is None:
            return mm
        return with_constraints(mm, {"constraints": constraints})

    def loaded(self, ref: MetamodelRef) -> bool:
        """Whether `ref` is a registered id already in memory: resolving it then costs
        no database read, hashing or parsing."""
        return ref.id is not None and self._cached(f"id:{ref.id}") is not None

    def by_id(self, mm_id: str) -> Metamodel:
        # An id is a content hash, so what it names never changes: once loaded, a request
        # naming it costs neither a database read nor hashing the files again.
        cached = self._cached(f"id:{mm_id}")
        if cached is not None:
            return cached
        stored = self._store.get_metamodel(mm_id)
        if stored is None:
            raise ApiError(
                404,
                "unknown-metamodel",
                f"no metamodel is registered with id {mm_id!r}; register it with "
                "POST /v1/metamodels first.",
            )
        mm = self._load(stored.files)
        self._remember(f"id:{mm_id}", mm)
        return mm

    def _load(self, files: dict[str, str]) -> Metamodel:
        key = content_key(files)
        cached = self._cached(key)
        if cached is not None:
            return cached
        with self._load_lock:
            cached = self._cached(key)  # loaded by another request meanwhile
            if cached is not None:
                return cached
            mm = load_metamodel(files)
        self._remember(key, mm)
        return mm

    def _remember(self, key: str, mm: Metamodel) -> None:
        with self._cache_lock:
            self._cache[key] = mm
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _cached(self, key: str) -> Metamodel | None:
        with self._cache_lock:
            mm = self._cache.get(key)
            if mm is not None:
                self._cache.move_to_end(key)
            return mm


def describe(mm: Metamodel, mm_id: str) -> MetamodelInfo:
    summary = mm.describe()
    return MetamodelInfo(
        id=mm_id, name=summary["name"], nsURI=summary["nsURI"], classes=summary["classes"]
    )
