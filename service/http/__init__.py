"""The HTTP API (`/v1`): a thin FastAPI layer over the Python API, with persistent jobs and SSE.

from service.http import create_app
app = create_app()            # settings from the environment (INSTANCEGEN_*)
"""

from service.http.app import create_app
from service.http.settings import Settings

__all__ = ["Settings", "create_app"]
