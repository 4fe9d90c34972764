"""The HTTP API with the real bundled model (no scripted backend): `model: local` end to end."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from http_support import BANK_ECORE, ServerThread, sse

from instancegen.service.http import Settings, create_app

SPEC = "A bank called Tiny Bank with one checking account DE01 owned by a client named Alice."


@pytest.mark.slow
@pytest.mark.usefixtures("local_model")
def test_generate_and_job_with_the_local_model(tmp_path: Path) -> None:
    body = {
        "metamodel": {"ecore": BANK_ECORE.read_text()},
        "spec": SPEC,
        "model": "local",
        "max_repairs": 1,
    }
    app = create_app(Settings(db_path=tmp_path / "local.db"))
    with ServerThread(app) as srv, httpx.Client(base_url=srv.url, timeout=600) as c:
        r = c.post("/v1/generate", json=body)
        assert r.status_code == 200, r.text
        result = r.json()
        assert result["model"] == "local" and result["status"] in {"valid", "invalid"}
        assert result["usage"]["prompt_tokens"] > 0 and result["usage"]["completion_tokens"] > 0
        if result["status"] == "valid":
            assert result["artifacts"]["xmi"].startswith("<?xml")
        job_id = c.post("/v1/jobs", json=body).json()["id"]
        events = sse(c, f"/v1/jobs/{job_id}/events")
        assert events[0][1] == "attempt_started" and events[-1][1] == "finished"
        view = c.get(f"/v1/jobs/{job_id}").json()
        assert view["status"] == "finished"
        assert events[-1][2]["data"]["status"] == view["result"]["status"]
