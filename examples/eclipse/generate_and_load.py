"""instancegen from a Python next to Eclipse (a plain CPython, or EASE's Python engine): post a
metamodel and a spec to `instancegen serve`, wait for the job, download its XMI, and load it
into a pyecore ResourceSet with the metamodel registered, as GenerateAndLoad.java does with EMF.

    python3 generate_and_load.py http://127.0.0.1:8000 bank.ecore spec.txt [MODEL [API_BASE]]

Only the standard library talks to the service; pyecore (`pip install pyecore`, which
instancegen already brings) reads the files. With INSTANCEGEN_API_KEY set, it is sent as the
bearer key. The XMI is written to the current folder under the name the service gives it.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

from pyecore.resources import URI, ResourceSet

WAIT_AT_MOST = 15 * 60  # seconds


def call(url: str, body: dict[str, object] | None = None) -> tuple[bytes, Message]:
    """One request: the answer's body and headers, or the service's problem and exit 1."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    request.add_header("Content-Type", "application/json")
    if os.environ.get("INSTANCEGEN_API_KEY"):
        request.add_header("Authorization", f"Bearer {os.environ['INSTANCEGEN_API_KEY']}")
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.read(), answer.headers  # names in any case
    except urllib.error.HTTPError as problem:
        sys.exit(f"error: HTTP {problem.code} from {url}: {problem.read().decode()}")


def main(service: str, ecore: str, spec_file: str, model: str = "local", api_base: str = "") -> int:
    service = service.rstrip("/")
    body: dict[str, object] = {
        "metamodel": {"ecore": Path(ecore).read_text(encoding="utf-8")},
        "spec": Path(spec_file).read_text(encoding="utf-8"),
        "model": model,
        "format": "xmi",
    }
    if api_base:
        body["api_base"] = api_base
    _, headers = call(f"{service}/v1/jobs", body)  # 202: the job's URL is in Location
    job = service + headers["Location"]
    print(f"job {job}")

    deadline = time.monotonic() + WAIT_AT_MOST
    view = json.loads(call(job)[0])
    while view["status"] in ("queued", "running"):
        if time.monotonic() > deadline:
            sys.exit(f"error: the job is still {view['status']} after {WAIT_AT_MOST} s")
        time.sleep(0.5)
        view = json.loads(call(job)[0])
    if view["status"] != "finished":
        sys.exit(f"error: the job {view['status']}: {view.get('error')}")

    xmi, headers = call(f"{job}/artifacts/xmi")
    named = re.search(r'filename="([^"/\\]+)"', headers.get("Content-Disposition", ""))
    path = Path(named.group(1) if named else "model.xmi").resolve()
    path.write_bytes(xmi)

    resources = ResourceSet()
    metamodel = resources.get_resource(URI(str(Path(ecore).resolve())))
    for package in metamodel.contents:  # registered by nsURI, subpackages too
        stack = [package]
        while stack:
            pkg = stack.pop()
            resources.metamodel_registry[pkg.nsURI] = pkg
            stack.extend(pkg.eSubpackages)
    instance = resources.get_resource(URI(str(path)))
    objects = sum(1 + sum(1 for _ in root.eAllContents()) for root in instance.contents)
    print(f"loaded {path.name}: {objects} objects")
    return 0


if __name__ == "__main__":
    if not 4 <= len(sys.argv) <= 6:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
