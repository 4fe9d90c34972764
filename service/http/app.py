"""The app factory: wires settings, store, metamodel registry, generation runner and routes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from service.generation_result import Event
from service.http import problems
from service.http.guards import ApiKeys, BodySizeLimit
from service.http.jobs import BackendFactory, GenerationRunner
from service.http.openapi import problem_responses
from service.http.playground import playground_router
from service.http.registry import MetamodelRegistry
from service.http.routes import build_router
from service.http.settings import Settings
from service.http.store import Store

log = logging.getLogger("instancegen.http")


def create_app(
    settings: Settings | None = None, *, backend_factory: BackendFactory | None = None
) -> FastAPI:
    """A ready app. `backend_factory` replaces model-string backend selection (tests,
    benchmarks, embedding a custom LLM client); None lets `generate` pick by model string."""
    settings = settings or Settings.from_env()
    store = Store(settings.db_path)
    runner = GenerationRunner(store, settings, backend_factory)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        interrupted = store.interrupt_unfinished(
            Event(type="finished", data={"status": "interrupted"}).model_dump(mode="json")
        )
        if interrupted:
            log.warning("%d job(s) of a previous run were marked interrupted", len(interrupted))
        runner.start(asyncio.get_running_loop())
        yield
        runner.shutdown()
        store.close()

    app = FastAPI(
        title="instancegen",
        summary="Ecore metamodel + natural-language spec -> instance model that EMF loads.",
        version="1",
        lifespan=lifespan,
    )
    problems.install(app)
    app.include_router(
        build_router(
            store,
            MetamodelRegistry(store, settings.metamodel_cache_size),
            runner,
            ApiKeys(settings.api_keys),
            settings.api_bases,
        )
    )
    app.include_router(playground_router(settings))
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
        )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            schema = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes
            )
            app.openapi_schema = problem_responses(schema, auth=bool(settings.api_keys))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
