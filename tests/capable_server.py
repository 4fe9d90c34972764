"""An OpenAI-compatible server on loopback that answers like a capable model knowing the answer.

It is given reference models by specification. For each chat completion it finds the case
whose specification is in the request, reads the JSON schema of the forced tool call, and fills
that schema from the reference: whatever form it asks for (objects grouped by class with
flattened features, the CIM with typed or free feature maps, two-phase objects or links). Like
a model, it reads what it needs from the prompt: a repair answers the objects the issues name,
a continuation skips the ids already written. It can misbehave on purpose: cut every answer
at `max_tokens` (o200k tokens, finish reason `length`), or put a dangling reference into its
first answer for a case. A case may have variants by seed: a request drawn with that seed
(self-consistency's samples) gets its variant, so samples differ as a sampled model's would.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from instancegen.service.core.cim import Cim, CimObject
from instancegen.service.core.metamodel import Metamodel, Reference
from instancegen.service.generation.tokens import _encoding

_ISSUE = re.compile(r"^- \[[a-z-]+\] ([^.:\s]+)", re.MULTILINE)
_WRITTEN = re.compile(r"\(ids by class\):\n(.*?)\n\n", re.DOTALL)


class CapableServer(ThreadingHTTPServer):
    """The server: its cases, how it misbehaves, and the requests it got."""

    cut_at_max_tokens: bool = False
    dangling_first: bool = False
    terse_ids: bool = False  # ids only where a reference needs one (first answers only)

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.cases: dict[str, tuple[Metamodel, Cim]] = {}
        self.variants: dict[str, dict[int, Cim]] = {}  # spec -> seed -> what to answer
        self.requests: list[dict[str, Any]] = []
        self.answered: set[str] = set()  # specs answered once (for `dangling_first`)
        self.cuts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def add_case(self, spec: str, mm: Metamodel, reference: Cim) -> None:
        self.cases[spec.strip()] = (mm, reference)

    def add_variant(self, spec: str, seed: int, reference: Cim) -> None:
        """What a request for `spec` drawn with `seed` is answered from, instead of the case's."""
        self.variants.setdefault(spec.strip(), {})[seed] = reference

    def answer(self, body: dict[str, Any]) -> tuple[str, str]:
        """The tool call's arguments and the finish reason for one request."""
        messages = body["messages"]
        spec, (mm, reference) = self._case(messages)
        reference = self.variants.get(spec, {}).get(body.get("seed", -1), reference)
        schema = body["tools"][0]["function"]["parameters"]
        last = _text(messages[-1])
        objects = list(reference.objects)
        written: set[str] = set()
        if "found these problems" in last:
            named = set(_ISSUE.findall(last))
            objects = [o for o in objects if o.id in named]
        elif "cut off at the output limit" in last:
            found = _WRITTEN.search(last)
            written = {
                i.strip()
                for line in (found.group(1).splitlines() if found else ())
                for i in line.partition(":")[2].split(",")
            }
            objects = [o for o in objects if o.id not in written]
        data = _fill(schema, mm, reference, objects, written, self.terse_ids)
        if spec not in self.answered:
            self.answered.add(spec)
            if self.dangling_first:
                data = _dangle(mm, data)
        text = json.dumps(data, ensure_ascii=False)
        limit = body.get("max_tokens") or body.get("max_completion_tokens")
        if self.cut_at_max_tokens and limit:
            tokens = _encoding("o200k_base").encode(text)
            if len(tokens) > limit:
                self.cuts += 1
                return _encoding("o200k_base").decode(tokens[:limit]), "length"
        return text, "tool_calls"

    def _case(self, messages: list[dict[str, Any]]) -> tuple[str, tuple[Metamodel, Cim]]:
        """The case whose spec the request states (the last user message naming one: an
        earlier one may be a worked example)."""
        for m in reversed(messages):
            if m["role"] != "user":
                continue
            text = _text(m)
            for spec, case in self.cases.items():
                if spec in text:
                    return spec, case
        raise LookupError("no known specification in the request")


def _text(message: dict[str, Any]) -> str:
    content = message.get("content") or ""
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content)
    return str(content)


def _dangle(mm: Metamodel, data: dict[str, Any]) -> dict[str, Any]:
    """A grouped answer with its first plain reference's first target pointing at no object
    (objects written in place included)."""
    stack = [
        (key, entry) for key, entries in data.items() if key in mm.classes for entry in entries
    ]
    while stack:
        key, entry = stack.pop(0)
        for name, value in entry.items():
            ref = mm.classes[key].feature_map.get(name)
            if not isinstance(ref, Reference) or not value:
                continue
            if not ref.containment:
                entry[name] = ["ghost", *value[1:]] if isinstance(value, list) else "ghost"
                return data
            classes = mm.concrete_subtypes(ref.target)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and len(classes) == 1:
                    stack.append((classes[0], item))
                elif isinstance(item, dict):
                    stack.extend(item.items())
    raise AssertionError("the answer has no plain reference to break")


# --- filling a schema from the reference -------------------------------------------------------


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """`schema` with `$ref` followed and a nullable `anyOf` reduced to its non-null branch."""
    while True:
        if "$ref" in schema:
            schema = root["$defs"][schema["$ref"].rsplit("/", 1)[1]]
        elif "anyOf" in schema:
            branches = [b for b in schema["anyOf"] if b.get("type") != "null"]
            schema = branches[0]
        else:
            return schema


def _fill(
    schema: dict[str, Any],
    mm: Metamodel,
    reference: Cim,
    objects: list[CimObject],
    written: set[str],
    terse: bool,
) -> dict[str, Any]:
    props = schema.get("properties", {})
    if "objects" in props:
        return _cim_form(schema, objects)
    if set(props) - {"$delete"} <= set(mm.classes):
        return _grouped(schema, mm, reference, objects, written, terse)
    return _links(schema, mm, reference)


def _cim_form(schema: dict[str, Any], objects: list[CimObject]) -> dict[str, Any]:
    item = _resolve(_resolve(schema["properties"]["objects"], schema)["items"], schema)
    as_entries = _resolve(item["properties"]["attributes"], schema).get("type") == "array"
    data: dict[str, Any] = {"objects": []}
    for o in objects:
        entry = o.model_dump(by_alias=True)
        if as_entries:
            entry["attributes"] = [{"name": k, "value": v} for k, v in o.attributes.items()]
            entry["references"] = [{"name": k, "ids": v} for k, v in o.references.items()]
        data["objects"].append(entry)
    if "$delete" in schema["properties"]:
        data["$delete"] = []
    return data


def _grouped(
    schema: dict[str, Any],
    mm: Metamodel,
    reference: Cim,
    objects: list[CimObject],
    written: set[str],
    terse: bool,
) -> dict[str, Any]:
    """Objects grouped by class; an object whose container is written too sits inside it, an
    object still to write whose container was written before is written with its container
    again (what that holds already listed by id). Ids: all, or with `terse` only those a
    reference names."""
    objects = _padded(schema, mm, objects)
    if _two_phase_objects(schema):
        return _declared(schema, objects)
    by_id = {o.id: o for o in reference.objects} | {o.id: o for o in objects}
    container: dict[str, str] = {}
    named: set[str] = set()
    for o in by_id.values():
        for name, ids in o.references.items():
            ref = mm.classes[o.class_].feature_map[name]
            assert isinstance(ref, Reference)
            for target in ids:
                if ref.containment:
                    container[target] = o.id
                else:
                    named.add(target)
    wanted = {o.id for o in objects}
    wanted |= {container[i] for i in list(wanted) if container.get(i) in written}
    # A counted class (its list's length bounded) is written at the top level, held by id.
    counted = {i for i in wanted if _bounded(schema, by_id[i].class_)}
    in_place = wanted - counted
    data: dict[str, Any] = {}
    required = set(schema.get("required", ()))
    for key, prop in schema["properties"].items():
        if key == "$delete":
            data[key] = []
            continue
        item = _resolve(_resolve(prop, schema)["items"], schema)
        entries = [
            _entry(schema, item, by_id[i], by_id, container, in_place, named if terse else None)
            for i in by_id
            if i in wanted and by_id[i].class_ == key
            if i in counted or container.get(i) not in wanted
        ]
        if entries or key in required:
            data[key] = entries
    return data


def _entry(
    root: dict[str, Any],
    item: dict[str, Any],
    o: CimObject,
    by_id: dict[str, CimObject],
    container: dict[str, str],
    wanted: set[str],
    named: set[str] | None,
) -> dict[str, Any]:
    """One object filling the object schema `item`: its contained objects being written in
    place (each in its class's wrapper where the schema has one), the others by id."""
    fields = item["properties"]
    id_key = "@id" if "@id" in fields else "id"
    entry: dict[str, Any] = {}
    if named is None or o.id in named or o.id not in container:
        entry[id_key] = o.id
    elif id_key in item.get("required", ()):
        entry[id_key] = None
    for name, sub in fields.items():
        if name == id_key:
            continue
        if name in o.attributes:
            entry[name] = o.attributes[name]
        elif name in o.references:
            sub = _unnull(sub, root)
            many = sub.get("type") == "array"
            places = _places(root, sub["items"] if many else sub)
            values: list[Any] = []
            for target in o.references[name]:
                child = by_id.get(target)
                inside = child is not None and child.class_ in places
                if not (inside and target in wanted and container.get(target) == o.id):
                    values.append(target)
                    continue
                assert child is not None
                wrapped = child.class_ in places and places[child.class_][1]
                body = _entry(root, places[child.class_][0], child, by_id, container, wanted, named)
                values.append({child.class_: body} if wrapped else body)
            entry[name] = values if many else values[0]
        elif name in item.get("required", ()):
            entry[name] = None  # strict: an unset feature is null
    return entry


def _unnull(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """`schema` with `$ref` followed and null left out of an `anyOf` (kept when it still has
    several branches: an object in place or an id)."""
    if "$ref" in schema:
        return _unnull(root["$defs"][schema["$ref"].rsplit("/", 1)[1]], root)
    if "anyOf" in schema:
        branches = [b for b in schema["anyOf"] if b.get("type") != "null"]
        return _unnull(branches[0], root) if len(branches) == 1 else {"anyOf": branches}
    return schema


def _places(root: dict[str, Any], sub: dict[str, Any]) -> dict[str, tuple[dict[str, Any], bool]]:
    """What a containment item's schema takes in place, by class: the object schema, and
    whether it sits in a one-key wrapper (`{"<Class>": {...}}`). Empty for an id only."""
    branches = [
        _resolve(b, root)
        for b in sub.get("anyOf", [sub])
        if b.get("type") not in ("string", "null")
    ]
    found: dict[str, tuple[dict[str, Any], bool]] = {}
    for b in branches:
        props = b.get("properties", {})
        if len(branches) > 1 and len(props) == 1:
            ((key, inner),) = props.items()
            found[key] = (_resolve(inner, root), True)
        else:
            found[""] = (b, False)
    if "" in found:  # one class in place, unwrapped: the feature's only concrete class
        return {cls: found[""] for cls in _classes_of(root, found[""][0])}
    return found


def _classes_of(root: dict[str, Any], item: dict[str, Any]) -> list[str]:
    """The classes whose top-level list has object schema `item`."""
    return [
        key
        for key, prop in root["properties"].items()
        if key != "$delete" and _resolve(_resolve(prop, root)["items"], root) == item
    ]


def _two_phase_objects(schema: dict[str, Any]) -> bool:
    for key, prop in schema["properties"].items():
        if key != "$delete":
            fields = _resolve(_resolve(prop, schema)["items"], schema)["properties"]
            return "attributes" in fields and "id" in fields and len(fields) <= 2
    return False


def _declared(schema: dict[str, Any], objects: list[CimObject]) -> dict[str, Any]:
    """Two-phase's first answer: each object's id and attributes, by class."""
    data: dict[str, Any] = {}
    for key in schema["properties"]:
        entries = []
        for o in (o for o in objects if o.class_ == key):
            entry: dict[str, Any] = {"id": o.id}
            if o.attributes:
                entry["attributes"] = dict(o.attributes)
            entries.append(entry)
        if entries or key in schema.get("required", ()):
            data[key] = entries
    return data


def _padded(schema: dict[str, Any], mm: Metamodel, objects: list[CimObject]) -> list[CimObject]:
    """`objects` with as many more of a class as its list's `minItems` asks for, as a model
    following the schema writes them: copies of the class's objects under new ids, their ID
    attribute numbered (it stays unique), each held by its original's container."""
    objects = list(objects)
    for key, prop in schema["properties"].items():
        least = _resolve(prop, schema).get("minItems", 0) if key in mm.classes else 0
        own = [o for o in objects if o.class_ == key]
        for n in range(len(own), least if own else 0):
            original = own[n % len(own)]
            copy = original.model_copy(
                update={
                    "id": f"{original.id}_{n}",
                    "attributes": {
                        k: f"{v}{n}" if _is_id(mm, key, k) else v
                        for k, v in original.attributes.items()
                    },
                }
            )
            objects.append(copy)
            for i, o in enumerate(objects):
                for name, ids in o.references.items():
                    ref = mm.classes[o.class_].feature_map[name]
                    if isinstance(ref, Reference) and ref.containment and original.id in ids:
                        refs = {**o.references, name: [*ids, copy.id]}
                        objects[i] = o.model_copy(update={"references": refs})
    return objects


def _bounded(schema: dict[str, Any], key: str) -> bool:
    prop = schema["properties"].get(key)
    found = _resolve(prop, schema) if prop is not None else {}
    return "minItems" in found or "maxItems" in found


def _is_id(mm: Metamodel, key: str, name: str) -> bool:
    return getattr(mm.classes[key].feature_map.get(name), "is_id", False)


def _links(schema: dict[str, Any], mm: Metamodel, reference: Cim) -> dict[str, Any]:
    """Phase 2: for each object asked, its container (a label of the enum) and its links."""
    parent: dict[str, tuple[str, str]] = {}
    edges: dict[tuple[str, str], list[str]] = {}
    for o in reference.objects:
        for name, ids in o.references.items():
            ref = mm.classes[o.class_].feature_map[name]
            assert isinstance(ref, Reference)
            for target in ids:
                if ref.containment:
                    parent[target] = (o.id, name)
                edges.setdefault((o.id, name), []).append(target)
                if ref.opposite:
                    edges.setdefault((target, ref.opposite), []).append(o.id)
    data: dict[str, Any] = {}
    for oid, prop in schema["properties"].items():
        item = _resolve(prop, schema)
        entry: dict[str, Any] = {}
        for name, sub in item.get("properties", {}).items():
            sub = _resolve(sub, schema)
            if name in ("container", "@container"):
                owner, via = parent[oid]
                labels = sub["enum"] if "enum" in sub else [sub["const"]]
                entry[name] = next(lb for lb in labels if lb in (owner, f"{owner}.{via}"))
            else:
                allowed = _resolve(sub["items"], schema)
                choices = allowed.get("enum") or [allowed.get("const")]
                entry[name] = [t for t in dict.fromkeys(edges.get((oid, name), [])) if t in choices]
        data[oid] = entry
    return data


# --- HTTP ----------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server: CapableServer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        body["headers"] = {k.lower(): v for k, v in self.headers.items()}
        self.server.requests.append(body)
        try:
            arguments, finish = self.server.answer(body)
        except LookupError as exc:
            self._send(400, {"error": {"message": str(exc), "type": "invalid_request_error"}})
            return
        prompt = sum(len(_text(m)) for m in body["messages"]) // 4
        name = body["tools"][0]["function"]["name"]
        completion = len(_encoding("o200k_base").encode(arguments))
        self._send(
            200,
            {
                "id": "chatcmpl-capable",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model", "capable"),
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": finish,
                        "message": {
                            "role": "assistant",
                            "content": None,
                            "tool_calls": [
                                {
                                    "id": "call_0",
                                    "type": "function",
                                    "function": {"name": name, "arguments": arguments},
                                }
                            ],
                        },
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            },
        )

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def capable_server() -> Iterator[CapableServer]:
    """A CapableServer on a free loopback port, served from a thread until the block ends."""
    server = CapableServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
