"""An instance set's files: `OUT-001.xmi`, `OUT-002.xmi`, … and `OUT-manifest.json`, written
to disk (`generate --count`, batches) or packed into one zip (`GET /v1/jobs/{id}/artifacts/zip`).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from instancegen import compilers
from instancegen.service.app.instance_sets import InstanceSet
from instancegen.service.core.atomic import write_atomic


def member_path(output: Path, index: int, fmt: str) -> Path:
    """`out/bank` + 2 + xmi -> `out/bank-002.xmi`."""
    return output.with_name(f"{output.name}-{index:03d}.{compilers.get(fmt).extension}")


def manifest_path(output: Path) -> Path:
    return output.with_name(f"{output.name}-manifest.json")


def set_documents(instance_set: InstanceSet, output: Path, spec: str) -> list[tuple[Path, bytes]]:
    """Every file of the set, the manifest first (the paths in it relative to it)."""
    entries: list[dict[str, Any]] = []
    documents: list[tuple[Path, bytes]] = []
    for m in instance_set.members:
        files = {}
        for fmt, text in m.artifacts.items():
            path = member_path(output, m.index, fmt)
            documents.append((path, text.encode("utf-8")))
            files[fmt] = path.name
        entry: dict[str, Any] = {
            "index": m.index,
            "files": files,
            "objects": len(m.cim.objects),
            "tries": m.attempts,
        }
        if m.expected is not None:
            entry["expected"] = m.expected.model_dump()
        entries.append(entry)
    manifest = {
        "status": instance_set.status,
        "kind": instance_set.kind,
        "count": instance_set.count,
        "written": len(entries),
        "model": instance_set.model,
        "spec": spec,
        "diversity": instance_set.diversity,
        "attribute_diversity": instance_set.figures.attribute_diversity.model_dump(),
        "structural_distance": instance_set.figures.structural_distance.model_dump(),
        "usage": instance_set.usage.model_dump(),
        "models": entries,
        "problems": instance_set.problems,
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    return [(manifest_path(output), text.encode("utf-8")), *documents]


def write_set(instance_set: InstanceSet, output: Path, spec: str) -> list[Path]:
    """Write every member's artifacts and the manifest; returns the paths written, the
    manifest first (written last, so it only ever lists files that exist)."""
    manifest, *documents = set_documents(instance_set, output, spec)
    for path, data in documents:
        write_atomic(path, data)
    write_atomic(*manifest)
    return [manifest[0], *(path for path, _ in documents)]


def set_archive(instance_set: InstanceSet, stem: str, spec: str) -> bytes:
    """The set's files in one zip, named as `generate --count -o STEM` names them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in set_documents(instance_set, Path(stem), spec):
            archive.writestr(path.name, data)
    return buffer.getvalue()
