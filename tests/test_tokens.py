"""Token counts against the real tokenizers of the bpe_openai package."""

from __future__ import annotations

import bpe_openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptship import tokens
from promptship.tokens import count_messages, count_tokens, encoding_for

O200K = bpe_openai.get_encoding("o200k_base")
CL100K = bpe_openai.get_encoding("cl100k_base")


@pytest.mark.parametrize(
    ("model", "encoding", "exact"),
    [
        ("openai/gpt-4o", "o200k_base", True),
        ("openai/gpt-4o-mini-2024-07-18", "o200k_base", True),
        ("openai/gpt-4.1-mini", "o200k_base", True),
        ("openai/o1", "o200k_base", True),
        ("openai/o3-mini", "o200k_base", True),
        ("openai/o4-mini", "o200k_base", True),
        ("openai/gpt-5", "o200k_base", True),
        ("openai/ft:gpt-4o-mini-2024-07-18:acme::abc123", "o200k_base", True),
        ("openai/gpt-4", "cl100k_base", True),
        ("openai/gpt-4-0613", "cl100k_base", True),
        ("openai/gpt-4-turbo", "cl100k_base", True),
        ("openai/gpt-3.5-turbo", "cl100k_base", True),
        ("openai/text-embedding-3-small", "cl100k_base", True),
        ("gpt-4o", "o200k_base", True),
        ("openai/o1x", "o200k_base", False),  # not a known family: an estimate
        ("openai/my-own-model", "o200k_base", False),
        ("anthropic/claude-sonnet-4-5", "o200k_base", False),
        ("local/gemma3-270m", "o200k_base", False),
        ("vllm/gpt-4o", "o200k_base", False),  # another server's "gpt-4o" is not OpenAI's
    ],
)
def test_encoding_per_model_family(model: str, encoding: str, exact: bool) -> None:
    assert encoding_for(model) == (encoding, exact)


def test_counts_are_the_encodings_counts() -> None:
    text = "Ticket: メールが届きません。 Réponse attendue avant 17h00 !"
    assert len(O200K.encode(text)) != len(CL100K.encode(text))  # the choice matters
    assert count_tokens(text, "openai/gpt-4o") == (len(O200K.encode(text)), True)
    assert count_tokens(text, "openai/gpt-4") == (len(CL100K.encode(text)), True)
    assert count_tokens(text, "anthropic/claude-haiku-4-5") == (len(O200K.encode(text)), False)
    assert count_tokens("hello world", "openai/gpt-4o") == (2, True)
    assert count_tokens("", "openai/gpt-4o") == (0, True)


def test_special_token_text_is_ordinary_text() -> None:
    count, exact = count_tokens("before <|endoftext|> after", "openai/gpt-4o")
    assert exact
    assert count == len(O200K.encode_ordinary("before <|endoftext|> after")) > 3


def test_chat_framing() -> None:
    messages = [
        {"role": "system", "content": "hello world"},
        {"role": "user", "content": ""},
    ]
    counted = count_messages(messages, "openai/gpt-4o-mini")
    assert counted.per_message == (2, 0)
    # 3 to prime the reply, then per message 3 + the role's tokens + the content
    role = len(O200K.encode("system")) + len(O200K.encode("user"))
    assert counted.total == 3 + (3 + 3) + role + 2
    assert counted.exact and counted.encoding == "o200k_base"
    assert not count_messages(messages, "anthropic/claude-sonnet-4-5").exact


def test_chunked_count_is_exact_when_cut_between_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "".join(
        f"Line {i}: the ticket says 'refund #{i}'.\n  indented, {i * 7}\n" for i in range(300)
    )
    whole = len(O200K.encode_ordinary(text))
    monkeypatch.setattr(tokens, "_CHUNK_CHARS", 500)
    assert count_tokens(text, "openai/gpt-4o") == (whole, True)


def test_chunk_without_a_safe_cut_is_an_estimate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "_CHUNK_CHARS", 500)
    count, exact = count_tokens("abc " * 400, "openai/gpt-4o")
    assert not exact
    assert abs(count - len(O200K.encode_ordinary("abc " * 400))) <= 4


def test_text_beyond_the_tokenizer_limits_is_counted() -> None:
    text = "the quick brown fox jumps\n" * 60_000  # 1.5M characters, 300k+ tokens
    count, exact = count_tokens(text, "openai/gpt-4o")
    assert exact
    assert count == 60_000 * len(O200K.encode_ordinary("the quick brown fox jumps\n"))


PIECES = [*"ab Z9_.,'/-!?\t\r\n", "é", "日本", "'s", "  ", "\n\n", "🙂", "don't", "x\u0301"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=150).map("".join))
def test_chunked_counts_equal_whole_counts_when_exact(text: str) -> None:
    saved = tokens._CHUNK_CHARS
    tokens._CHUNK_CHARS = 40
    try:
        for model, encoding in (("openai/gpt-4o", O200K), ("openai/gpt-4", CL100K)):
            count, exact = count_tokens(text, model)
            if exact:
                assert count == len(encoding.encode_ordinary(text))
    finally:
        tokens._CHUNK_CHARS = saved
