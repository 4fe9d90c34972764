"""Tokenizing a prompt so that it keeps the tokens its context already evaluated.

llama-cpp-python evaluates only what follows the longest common prefix of a prompt's tokens
and the tokens its context holds. A conversation's next prompt repeats the model's own
answer as the assistant's message, but the tokens the model wrote are seldom the ones the
tokenizer would cut the same text into: under a grammar, and even without one, a model may
write `river` + `side` where the tokenizer makes `riverside`. The common prefix then ends at
the first such word, and the rest of the answer and all that follows is evaluated again.

`KeptPrefixTokenizer` cuts a prompt whose text begins with the text of the context's tokens
into those very tokens, and tokenizes only the rest. The text the model reads is the same,
byte for byte; what changes is how the part it wrote itself is cut: as it wrote it.
"""

from __future__ import annotations

import ctypes
from typing import Any

import llama_cpp
from llama_cpp.llama_tokenizer import LlamaTokenizer


class KeptPrefixTokenizer(LlamaTokenizer):
    """`llm`'s tokenizer, except that a text beginning with what `llm`'s context holds is
    cut into the context's tokens as far as they spell it."""

    def __init__(self, llm: Any) -> None:
        super().__init__(llm)
        self._llm = llm
        self._pieces: dict[int, bytes] = {}
        self._buffer = ctypes.create_string_buffer(256)
        self._bos = llm.token_bos()
        self._adds_bos = bool(llm._model.add_bos_token())

    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = True) -> list[int]:
        if not special:  # the context's special tokens spell text that must stay plain here
            return super().tokenize(text, add_bos, special)
        llm = self._llm
        held = llm.input_ids[: llm.n_tokens].tolist()
        head = [self._bos] if add_bos and self._adds_bos else []
        if held[: len(head)] != head:
            return super().tokenize(text, add_bos, special)
        kept, spelled = self._kept(text, held[len(head) :])
        if not kept:
            return super().tokenize(text, add_bos, special)
        rest = super().tokenize(text[spelled:], False, special) if spelled < len(text) else []
        return head + kept + rest

    def _kept(self, text: bytes, held: list[int]) -> tuple[list[int], int]:
        """The leading tokens of `held` that spell the start of `text`, and how many bytes."""
        kept: list[int] = []
        spelled = 0
        for token in held:
            piece = self._piece(token)
            if not piece or not text.startswith(piece, spelled):
                break
            kept.append(token)
            spelled += len(piece)
        return kept, spelled

    def _piece(self, token: int) -> bytes:
        """The bytes `token` stands for, special tokens spelled out (as a template writes
        them)."""
        piece = self._pieces.get(token)
        if piece is None:
            size = len(self._buffer)
            n = llama_cpp.llama_token_to_piece(
                self._llm._model.vocab, token, self._buffer, size, 0, True
            )
            piece = self._buffer.raw[:n] if 0 <= n <= size else b""
            self._pieces[token] = piece
        return piece
