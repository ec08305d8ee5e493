"""Token counts with OpenAI's public tokenizers (through the `bpe_openai` package).

OpenAI models are counted exactly with their own encoding (`o200k_base` for gpt-4o and
later, `cl100k_base` for gpt-4 and gpt-3.5). Other providers do not publish their
tokenizers, so their counts use `o200k_base` and are labelled estimates (`exact=False`).

Chat framing: `count_messages` adds what OpenAI's cookbook counts for a chat request
(3 tokens per message, plus the role's tokens, plus 3 that prime the reply); per-message
figures are content only. The tokenizer package is imported lazily; encodings are cached.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

O200K = "o200k_base"
CL100K = "cl100k_base"
TOKENS_PER_MESSAGE = 3
REPLY_PRIMING = 3

# Name prefixes of OpenAI models and their encodings; the longest matching prefix wins, and a
# prefix only matches at a '-' boundary (so "gpt-4" does not claim "gpt-4o").
_OPENAI_ENCODINGS = {
    "gpt-5": O200K,
    "gpt-4.5": O200K,
    "gpt-4.1": O200K,
    "gpt-4o": O200K,
    "chatgpt-4o": O200K,
    "o1": O200K,
    "o3": O200K,
    "o4": O200K,
    "gpt-4": CL100K,
    "gpt-3.5": CL100K,
    "gpt-35": CL100K,
    "text-embedding-3": CL100K,
    "text-embedding-ada-002": CL100K,
}
# Chunks stay far below the tokenizer's per-call limits (1M characters, 200k tokens).
_CHUNK_CHARS = 100_000
# A cut just before a letter or digit that starts a line never splits a pre-token of the
# o200k/cl100k patterns, so counting the chunks separately is still exact.
_SAFE_CUT = re.compile(r"\n(?=[^\W_])")


@dataclass(frozen=True)
class MessageTokens:
    """Token counts of one chat request."""

    per_message: tuple[int, ...]  # content tokens of each message
    total: int  # content plus chat framing: what the request's input tokens amount to
    exact: bool
    encoding: str


def encoding_for(model: str) -> tuple[str, bool]:
    """The encoding that counts `model` ("provider/name") and whether the count is exact.

    >>> encoding_for("openai/gpt-4o-2024-08-06")
    ('o200k_base', True)
    >>> encoding_for("anthropic/claude-sonnet-4-5")
    ('o200k_base', False)
    """
    provider, _, name = model.rpartition("/")
    if provider not in ("", "openai"):
        return O200K, False
    name = name.lower().removeprefix("ft:")
    best = ""
    for prefix in _OPENAI_ENCODINGS:
        if (name == prefix or name.startswith(prefix + "-")) and len(prefix) > len(best):
            best = prefix
    if not best:
        return O200K, False
    return _OPENAI_ENCODINGS[best], True


def count_tokens(text: str, model: str) -> tuple[int, bool]:
    """Tokens in `text` for `model` ("provider/name"), and whether the count is exact.

    Text is counted as ordinary text: `<|endoftext|>` in a prompt is five ordinary tokens,
    as the API treats it, not a special token.
    """
    name, exact = encoding_for(model)
    count, chunk_exact = _count(text, name)
    return count, exact and chunk_exact


def count_messages(messages: Sequence[Mapping[str, Any]], model: str) -> MessageTokens:
    """Per-message content tokens and the request total including chat framing."""
    name, exact = encoding_for(model)
    per_message = []
    total = REPLY_PRIMING
    for message in messages:
        content, content_exact = _count(str(message["content"]), name)
        role, _ = _count(str(message["role"]), name)
        exact = exact and content_exact
        per_message.append(content)
        total += TOKENS_PER_MESSAGE + role + content
    return MessageTokens(tuple(per_message), total, exact, name)


def _count(text: str, encoding_name: str) -> tuple[int, bool]:
    encoding = _encoding(encoding_name)
    exact = True
    total = 0
    start = 0
    while len(text) - start > _CHUNK_CHARS:
        window_end = start + _CHUNK_CHARS
        cut = None
        for match in _SAFE_CUT.finditer(text, start + _CHUNK_CHARS // 2, window_end):
            cut = match.end()
        if cut is None:  # no safe place: cut anyway and say the count may be off by a token
            cut, exact = window_end, False
        total += len(encoding.encode_ordinary(text[start:cut]))
        start = cut
    total += len(encoding.encode_ordinary(text[start:]))
    return total, exact


@cache
def _encoding(name: str) -> Any:
    import bpe_openai

    return bpe_openai.get_encoding(name)
