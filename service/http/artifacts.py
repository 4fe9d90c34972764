"""What `GET /v1/jobs/{id}/artifacts/{format}` answers: one file of a finished job, or all of
them in a zip, named as the command line names the same files (`bank.xmi`, `bank-002.xmi`,
`bank-manifest.json`).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from instancegen import compilers
from instancegen.service.app.instance_sets import InstanceSet, Member
from instancegen.service.app.jobstore import StoredJob
from instancegen.service.app.set_files import set_archive
from instancegen.service.core.errors import InputError
from instancegen.service.generation.result import GenerationResult
from instancegen.service.http.problems import ApiError

ARCHIVE = "zip"
"""The format name that asks for every file of a job at once (no compiler has it)."""
ARCHIVE_MEDIA_TYPE = "application/zip"


@dataclass(frozen=True)
class Download:
    data: bytes
    media_type: str
    filename: str


def artifact_download(
    outcome: GenerationResult | InstanceSet,
    fmt: str,
    member: int | None,
    stem: str,
    job: StoredJob,
) -> Download:
    """The file a download asks for; a 4xx problem naming what to ask instead otherwise."""
    if fmt == ARCHIVE:
        if member is not None:
            raise ApiError(422, "invalid-request", "member: a zip holds every file; leave it out.")
        return Download(_archive(outcome, stem, job), ARCHIVE_MEDIA_TYPE, f"{stem}.zip")
    try:
        compiler = compilers.get(fmt)
    except InputError as exc:
        raise ApiError(404, "unknown-format", exc.message) from None
    if isinstance(outcome, InstanceSet):
        chosen = _member(outcome, member, job.id)
        artifacts, name = chosen.artifacts, f"{stem}-{chosen.index:03d}"
    elif member is not None:
        raise ApiError(
            422, "invalid-request", "member: this job made one model, not a set; leave it out."
        )
    else:
        artifacts, name = outcome.artifacts, stem
    if fmt not in artifacts:
        made = ", ".join(sorted(artifacts)) or "none"
        raise ApiError(
            404,
            "no-artifact",
            f"job {job.id} has no {fmt} file (it made: {made}); ask for formats with the "
            "job's `format`, or compile its `cim` with POST /v1/compile.",
        )
    return Download(
        artifacts[fmt].encode("utf-8"), compiler.media_type, f"{name}.{compiler.extension}"
    )


def _member(outcome: InstanceSet, member: int | None, job_id: str) -> Member:
    indices = [m.index for m in outcome.members]
    if member is None:
        raise ApiError(
            422,
            "invalid-request",
            f"job {job_id} made a set of {len(indices)} models: name one with ?member=N "
            f"({', '.join(map(str, indices)) or 'none was written'}), or fetch them all "
            f"from /v1/jobs/{job_id}/artifacts/zip.",
        )
    found = next((m for m in outcome.members if m.index == member), None)
    if found is None:
        raise ApiError(
            404,
            "unknown-member",
            f"the set of job {job_id} has no model {member}; it has "
            f"{', '.join(map(str, indices)) or 'none'}.",
        )
    return found


def _archive(outcome: GenerationResult | InstanceSet, stem: str, job: StoredJob) -> bytes:
    if isinstance(outcome, InstanceSet):
        return set_archive(outcome, stem, str(job.request.get("spec", "")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for fmt, text in outcome.artifacts.items():
            archive.writestr(f"{stem}.{compilers.get(fmt).extension}", text.encode("utf-8"))
    return buffer.getvalue()
