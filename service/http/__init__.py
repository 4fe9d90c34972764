"""The HTTP API (`/v1`): a thin FastAPI layer over the Python API, with persistent jobs and SSE.

from instancegen.service.http import create_app
app = create_app()            # settings from the environment (INSTANCEGEN_*)

`create_app` and `Settings` are imported on first use, so that importing one module of this
package (its request models, say) does not build the whole application.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from instancegen.service.app.settings import Settings
    from instancegen.service.http.app import create_app


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from instancegen.service.http.app import create_app

        return create_app
    if name == "Settings":
        from instancegen.service.app.settings import Settings

        return Settings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Settings", "create_app"]
