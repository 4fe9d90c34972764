"""Offline token counts, to show how much of a context window a prompt takes.

tiktoken downloads its encodings on first use, which fails offline. litellm ships the
encoding files in its package (and points TIKTOKEN_CACHE_DIR there when imported); we point
tiktoken at that same directory without importing litellm (slow, and it tries the network).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from functools import cache
from pathlib import Path

import tiktoken

ENCODING = "o200k_base"  # GPT-4o's encoding; counts are an estimate for other models
_URL = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"


def bundled_encoding_dir() -> Path:
    """litellm's directory of tiktoken encoding files (named as tiktoken's cache names them)."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("litellm is not installed; it ships the tiktoken encoding files.")
    return Path(next(iter(spec.submodule_search_locations))) / "litellm_core_utils" / "tokenizers"


@cache
def _encoding(name: str) -> tiktoken.Encoding:
    cache_name = hashlib.sha1(_URL.format(name).encode()).hexdigest()
    current = os.environ.get("TIKTOKEN_CACHE_DIR")
    if not current or not (Path(current) / cache_name).is_file():
        bundled = bundled_encoding_dir()
        if not (bundled / cache_name).is_file():
            raise RuntimeError(f"litellm does not ship the {name} encoding ({bundled}).")
        os.environ["TIKTOKEN_CACHE_DIR"] = str(bundled)  # what importing litellm does too
    return tiktoken.get_encoding(name)


def count_tokens(text: str, encoding: str = ENCODING) -> int:
    """The number of tokens `text` takes in `encoding`, computed offline."""
    return len(_encoding(encoding).encode(text, disallowed_special=()))
