"""The playground page at `GET /` (outside `/v1`): pick a bundled example or upload `.ecore`
files, write a spec, generate through a job with live progress, look at the diagram, download
XMI and EMF-JSON, and apply change requests.

The page is three static files shipped in the package (`service/http/static/`), no CDN and no
build step; it talks to the same `/v1` API as any client (with the API key the user types in,
when the server has keys). Besides the files, two small open endpoints feed it: the models
the operator offers and the bundled examples.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from instancegen.service.app.problems import Refused
from instancegen.service.app.settings import Settings
from instancegen.service.backends import DEFAULT_MODEL

_STATIC = {"playground.js": "text/javascript", "playground.css": "text/css"}


class ModelChoice(BaseModel):
    model: str
    api_base: str | None = None


class PlaygroundConfig(BaseModel):
    models: list[ModelChoice]
    examples: list[str]
    auth: bool


class Example(BaseModel):
    name: str
    spec: str
    files: dict[str, str]


def playground_router(settings: Settings) -> APIRouter:
    """`/` and what the page loads (`/playground/...`), none of it behind the API key: the
    page holds no data, and asks for the key itself when the API needs one."""
    router = APIRouter(include_in_schema=False)
    choices = [
        ModelChoice(model=DEFAULT_MODEL),
        *(_choice(m) for m in settings.models if m != DEFAULT_MODEL),
    ]

    @router.get("/", response_class=HTMLResponse)
    def page() -> HTMLResponse:
        return HTMLResponse(_static("index.html"))

    @router.get("/playground/{name}")
    def asset(name: str) -> Response:
        if name not in _STATIC:
            raise Refused(404, "not-found", f"the playground has no file {name!r}.")
        return Response(_static(name), media_type=_STATIC[name])

    @router.get("/playground-api/config")
    def config() -> PlaygroundConfig:
        return PlaygroundConfig(
            models=choices, examples=list(_examples()), auth=bool(settings.api_keys)
        )

    @router.get("/playground-api/examples/{name:path}")
    def example(name: str) -> Example:
        folder = _examples().get(name)
        if folder is None:
            raise Refused(404, "unknown-example", f"there is no bundled example {name!r}.")
        ecores = {
            f.name: f.read_text("utf-8") for f in folder.iterdir() if f.name.endswith(".ecore")
        }
        spec = folder.joinpath("spec.txt").read_text("utf-8").strip()
        return Example(name=name, spec=spec, files=ecores)

    return router


def _choice(entry: str) -> ModelChoice:
    model, _, api_base = entry.partition("=")
    return ModelChoice(model=model.strip(), api_base=api_base.strip() or None)


@cache
def _static(name: str) -> bytes:
    return files("instancegen.service.http").joinpath("static", name).read_bytes()


@cache
def _examples() -> dict[str, Traversable]:
    """Bundled cases with a spec and a metamodel, by path under `metamodels/`."""
    found: dict[str, Traversable] = {}
    stack: list[tuple[str, Traversable]] = [("", files("instancegen.metamodels"))]
    while stack:
        prefix, folder = stack.pop()
        for entry in folder.iterdir():
            if not entry.is_dir() or entry.name.startswith(("_", ".")):
                continue
            name = f"{prefix}{entry.name}"
            names = [f.name for f in entry.iterdir()]
            if "spec.txt" in names and any(n.endswith(".ecore") for n in names):
                found[name] = entry
            stack.append((f"{name}/", entry))
    return dict(sorted(found.items()))
