"""What a GGUF file says about its model, read from its header alone.

`instancegen models` lists files without loading them, and a bad `--model local:PATH` must be
refused in one sentence before llama.cpp (which aborts or prints C-level noise on a broken
file) ever sees it. So the header is read here: the metadata (architecture, context length,
chat template) and the tensor table, whose shapes give the parameter count and whose offsets
and sizes say whether the file is whole.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from instancegen.service.core.errors import InputError

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
# Each scalar type's struct format (GGUF value types 0-12, 8 string and 9 array aside).
_SCALARS = {
    0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d",
}  # fmt: skip
_STRING, _ARRAY = 8, 9
# ggml tensor types: (bytes per block, elements per block), for the types GGUF files use.
_TYPE_SIZES = {
    0: (4, 1), 1: (2, 1), 2: (18, 32), 3: (20, 32), 6: (22, 32), 7: (24, 32), 8: (34, 32),
    9: (36, 32), 10: (84, 256), 11: (110, 256), 12: (144, 256), 13: (176, 256),
    14: (210, 256), 15: (292, 256), 24: (1, 1), 25: (2, 1), 26: (4, 1), 27: (8, 1),
    28: (8, 1), 30: (2, 1),
}  # fmt: skip
_MAX_STRING = 1 << 24  # no header string is longer (a chat template is a few KB)


class _Truncated(Exception):
    """The file ended inside its header."""


@dataclass(frozen=True)
class GgufInfo:
    """One GGUF file's model, as its header describes it."""

    path: Path
    size_bytes: int
    architecture: str
    name: str  # general.name, else the file's stem
    context_length: int  # the trained context length (0 when the file does not say)
    parameters: int  # the tensors' elements, summed
    chat_template: str | None  # tokenizer.chat_template (Jinja), when the file has one
    bos_token: str
    eos_token: str

    def describe_parameters(self) -> str:
        """`270M`, `1.5B`: how model sizes are usually written."""
        value = float(self.parameters)
        for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
            if value >= scale:
                return f"{value / scale:.3g}{unit}"
        return str(self.parameters)


def read_gguf(path: Path) -> GgufInfo:
    """The header of the GGUF file at `path`; an InputError in one sentence when it is
    missing, not a GGUF file, or cut short."""
    if not path.is_file():
        raise InputError(f"{path}: no such GGUF file.")
    size = path.stat().st_size
    try:
        with path.open("rb") as f:
            if f.read(4) != MAGIC:
                raise InputError(f"{path}: not a GGUF file (it does not start with 'GGUF').")
            version, n_tensors, n_kv = struct.unpack("<IQQ", _read(f, 20))
            if version < 2:
                raise InputError(f"{path}: GGUF version {version} is too old to run.")
            meta = {_string(f): _value(f) for _ in range(n_kv)}
            parameters, data_end = _tensors(f, n_tensors, meta)
    except _Truncated:
        raise InputError(
            f"{path}: the GGUF file is cut short (its header is incomplete)."
        ) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror}).") from None
    if data_end > size:
        raise InputError(
            f"{path}: the GGUF file is cut short ({size:,} bytes of the {data_end:,} its "
            "tensors need)."
        )
    arch = str(meta.get("general.architecture", "unknown"))
    tokens = meta.get("tokenizer.ggml.tokens")
    return GgufInfo(
        path=path,
        size_bytes=size,
        architecture=arch,
        name=str(meta.get("general.name") or path.stem),
        context_length=int(meta.get(f"{arch}.context_length", 0) or 0),
        parameters=parameters,
        chat_template=_str_or_none(meta.get("tokenizer.chat_template")),
        bos_token=_token(tokens, meta.get("tokenizer.ggml.bos_token_id")),
        eos_token=_token(tokens, meta.get("tokenizer.ggml.eos_token_id")),
    )


def _read(f: BinaryIO, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise _Truncated
    return data


def _string(f: BinaryIO) -> str:
    (n,) = struct.unpack("<Q", _read(f, 8))
    if n > _MAX_STRING:
        raise _Truncated  # a length no header holds: the bytes are not a header
    return _read(f, n).decode("utf-8", errors="replace")


def _value(f: BinaryIO, kind: int | None = None) -> Any:
    if kind is None:
        (kind,) = struct.unpack("<I", _read(f, 4))
    if kind == _STRING:
        return _string(f)
    if kind == _ARRAY:
        (item, n) = struct.unpack("<IQ", _read(f, 12))
        if item in _SCALARS:  # read in one go: token type and score arrays are long
            fmt = _SCALARS[item]
            return list(struct.unpack(f"<{n}{fmt}", _read(f, n * struct.calcsize(fmt))))
        return [_value(f, item) for _ in range(n)]
    if kind not in _SCALARS:
        raise _Truncated
    fmt = "<" + _SCALARS[kind]
    return struct.unpack(fmt, _read(f, struct.calcsize(fmt)))[0]


def _tensors(f: BinaryIO, count: int, meta: dict[str, Any]) -> tuple[int, int]:
    """The parameter count and where the last tensor's data ends (0 when a tensor type is
    unknown here: then only the header is checked)."""
    parameters, end, known = 0, 0, True
    for _ in range(count):
        _string(f)
        (n_dims,) = struct.unpack("<I", _read(f, 4))
        dims = struct.unpack(f"<{n_dims}Q", _read(f, 8 * n_dims))
        kind, offset = struct.unpack("<IQ", _read(f, 12))
        elements = 1
        for d in dims:
            elements *= d
        parameters += elements
        if kind in _TYPE_SIZES:
            block_bytes, block = _TYPE_SIZES[kind]
            end = max(end, offset + elements // block * block_bytes)
        else:
            known = False
    align = int(meta.get("general.alignment", DEFAULT_ALIGNMENT) or DEFAULT_ALIGNMENT)
    data_start = -(-f.tell() // align) * align
    return parameters, data_start + end if known else 0


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _token(tokens: Any, index: Any) -> str:
    if isinstance(tokens, list) and isinstance(index, int) and 0 <= index < len(tokens):
        return str(tokens[index])
    return ""
