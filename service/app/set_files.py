"""Writing an instance set: `OUT-001.xmi`, `OUT-002.xmi`, … and `OUT-manifest.json`."""

from __future__ import annotations

import json
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


def write_set(instance_set: InstanceSet, output: Path, spec: str) -> list[Path]:
    """Write every member's artifacts and the manifest (paths in it relative to it);
    returns the paths written, the manifest first."""
    entries: list[dict[str, Any]] = []
    written: list[Path] = []
    for m in instance_set.members:
        files = {}
        for fmt, text in m.artifacts.items():
            path = member_path(output, m.index, fmt)
            write_atomic(path, text.encode("utf-8"))
            written.append(path)
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
    path = manifest_path(output)
    write_atomic(path, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode())
    return [path, *written]
