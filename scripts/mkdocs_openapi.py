"""MkDocs hook: the HTTP reference pages come from the app's own OpenAPI document at build time.

`mkdocs build` imports the app (no server, no network), asks it for its OpenAPI document and
adds two generated files to the site: `http/openapi.json` (the document itself) and
`http/reference.md` (every operation and schema rendered as Markdown), so the reference can
never drift from the code and the site needs no script from elsewhere to show it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

from instancegen.service.http import Settings, create_app

METHODS = ("get", "post", "put", "patch", "delete")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the OpenAPI document and its rendering to the site's files."""
    document = create_app(Settings(db_path=Path(":memory:"))).openapi()
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    files.append(File.generated(config, "http/openapi.json", content=text))
    files.append(File.generated(config, "http/reference.md", content=render(document)))
    return files


def render(document: dict[str, Any]) -> str:
    """The reference page: operations grouped by tag, then every schema's properties."""
    info = document["info"]
    lines = [
        "# HTTP reference",
        "",
        f"Generated from the service's OpenAPI {document['openapi']} document "
        f"(`{info['title']}`, API version {info['version']}) when this site was built; the "
        "document itself is [openapi.json](openapi.json), and a running service serves it at "
        "`/openapi.json` with interactive pages at `/docs` and `/redoc`. The guide to using "
        "it is [HTTP API](index.md).",
        "",
    ]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, operations in document["paths"].items():
        for method in METHODS:
            if method in operations:
                operation = operations[method]
                tag = (operation.get("tags") or ["other"])[0]
                by_tag.setdefault(tag, []).append((method, path, operation))
    for tag, operations in by_tag.items():
        lines += [f"## {tag.capitalize()}", ""]
        for method, path, operation in operations:
            lines += _operation(method, path, operation)
    lines += ["## Schemas", ""]
    for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        lines += _schema(name, schema)
    return "\n".join(lines) + "\n"


def _operation(method: str, path: str, operation: dict[str, Any]) -> list[str]:
    lines = [f"### `{method.upper()} {path}`", ""]
    if operation.get("description") or operation.get("summary"):
        lines += [operation.get("description") or operation["summary"], ""]
    parameters = operation.get("parameters", [])
    if parameters:
        lines += ["| parameter | in | type | required | description |", "|---|---|---|---|---|"]
        for p in parameters:
            schema = p.get("schema", {})
            lines.append(
                f"| `{p['name']}` | {p['in']} | {_type(schema)} | "
                f"{'yes' if p.get('required') else 'no'} | "
                f"{_cell(p.get('description') or schema.get('description', ''))} |"
            )
        lines.append("")
    body = operation.get("requestBody", {}).get("content", {})
    for media, content in body.items():
        lines += [f"Request body (`{media}`): {_type(content.get('schema', {}))}", ""]
    lines += ["| status | answer |", "|---|---|"]
    for status, response in operation.get("responses", {}).items():
        answers = [
            f"`{media}` {_type(content['schema'])}" if content.get("schema") else f"`{media}`"
            for media, content in response.get("content", {}).items()
        ]
        headers = [f"header `{h}`" for h in response.get("headers", {})]
        what = "; ".join([*answers, *headers]) or "no body"
        lines.append(f"| {status} | {_cell(response.get('description', '')).rstrip('.')}: {what} |")
    return [*lines, ""]


def _schema(name: str, schema: dict[str, Any]) -> list[str]:
    lines = [f"### {name}", ""]
    if schema.get("description"):
        lines += [_cell(schema["description"]), ""]
    if "enum" in schema:
        return [*lines, "One of " + ", ".join(f"`{v}`" for v in schema["enum"]) + ".", ""]
    properties = schema.get("properties", {})
    if not properties:
        return [*lines, f"Type: {_type(schema)}.", ""]
    required = set(schema.get("required", ()))
    lines += ["| property | type | required | description |", "|---|---|---|---|"]
    for prop, sub in properties.items():
        lines.append(
            f"| `{prop}` | {_type(sub)} | {'yes' if prop in required else 'no'} | "
            f"{_cell(sub.get('description', ''))} |"
        )
    return [*lines, ""]


def _type(schema: dict[str, Any]) -> str:
    """A schema in a few words, with links to the named schemas it uses."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " or ".join(dict.fromkeys(_type(s) for s in schema[key]))
    kind = schema.get("type")
    if kind == "array":
        return f"list of {_type(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"map of {_type(schema['additionalProperties'])}"
    if "enum" in schema:
        return " \\| ".join(f"`{json.dumps(v)}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    if kind is None:
        return "any"
    return f"{kind} ({schema['format']})" if "format" in schema else str(kind)


def _cell(text: str) -> str:
    """Text that stays inside one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")
