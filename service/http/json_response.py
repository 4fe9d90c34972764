"""The API's JSON responses: any string a client sent can be echoed back."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse

from instancegen.service.core.json_text import utf8_json


class JsonResponse(JSONResponse):
    """JSON as FastAPI writes it, except that a lone surrogate a client sent (JSON carries
    `"\\ud800"`, UTF-8 cannot) is written back as its escape instead of failing the response
    with a 500: an edited or imported model echoes whatever values it holds."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return utf8_json(text)
