"""`promptship stats`: tokens, cost and growth per version, checked against the tokenizer."""

from __future__ import annotations

import json
from pathlib import Path

import bpe_openai
import pytest

from conftest import CLI
from promptship.project import Project
from promptship.prompt_stats import measure

O200K = bpe_openai.get_encoding("o200k_base")


def _request_tokens(messages: list[dict[str, str]]) -> int:
    """The OpenAI cookbook's count for a chat request, computed here independently."""
    total = 3
    for message in messages:
        total += 3 + len(O200K.encode(message["role"])) + len(O200K.encode(message["content"]))
    return total


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


def test_triage_versions(examples: Path, cli: CLI) -> None:
    result = cli("stats", "support_ticket_triage", "--json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["prices_as_of"]
    v1, v2 = doc["versions"]
    project = Project(examples)
    for row, number in ((v1, 1), (v2, 2)):
        rendered = project.load("support_ticket_triage", number).render({"ticket_text": ""})
        assert row["input_tokens"] == _request_tokens(rendered)
        assert row["message_tokens"] == [len(O200K.encode(m["content"])) for m in rendered]
        assert row["exact"] is True and row["basis"] == "rendered"
        assert row["empty_variables"] == ["ticket_text"]
        assert row["max_output_tokens"] == 8
        assert row["max_cost_usd"] == pytest.approx((row["input_tokens"] * 0.15 + 8 * 0.60) / 1e6)
        assert row["input_cost_usd"] == pytest.approx(row["input_tokens"] * 0.15 / 1e6)
    assert v1["growth"] is None
    delta = v2["input_tokens"] - v1["input_tokens"]
    assert v2["growth"] == {
        "since": "v1",
        "tokens": delta,
        "percent": round(100 * delta / v1["input_tokens"], 1),
    }


def test_text_output_labels_estimates_and_empty_variables(examples: Path, cli: CLI) -> None:
    result = cli("stats")
    assert result.code == 0, result.err
    out = result.out
    for name in ("rag_answer", "refund_handler", "support_ticket_triage"):
        assert name in out
    size = measure(Project(examples).load("refund_handler", 18))
    assert not size.exact
    assert f"~{size.input_tokens}" in out  # anthropic: estimated
    assert "(required, counted as empty: ticket_text)" in out
    assert "~ estimate" in out
    assert "list prices as of" in out


def test_output_bound_from_other_param_names_and_unknown_prices(examples: Path, cli: CLI) -> None:
    _write(
        examples,
        "prompts/p/v1.md",
        "---\nmodel: openai/gpt-5-mini\nparams: {max_completion_tokens: 1000}\n---\nuser:\nHi\n",
    )
    _write(examples, "prompts/p/v2.md", "---\nmodel: vllm/llama-3\n---\nuser:\nHi there\n")
    rows = json.loads(cli("stats", "p", "--json").out)["versions"]
    assert rows[0]["max_output_tokens"] == 1000
    assert rows[0]["max_cost_usd"] == pytest.approx(
        (rows[0]["input_tokens"] * 0.25 + 1000 * 2.0) / 1e6
    )
    assert rows[1]["max_output_tokens"] is None and rows[1]["max_cost_usd"] is None
    assert rows[1]["input_cost_usd"] is None and rows[1]["exact"] is False
    assert rows[1]["growth"]["since"] == "v1"


def test_template_that_cannot_render_empty_is_counted_as_written(examples: Path, cli: CLI) -> None:
    _write(
        examples,
        "prompts/p/v1.md",
        "---\nmodel: openai/gpt-4o\nvariables:\n  items: {required: true}\n---\nuser:\nFirst: {{ items[0] }}\n",
    )
    row = json.loads(cli("stats", "p", "--json").out)["versions"][0]
    assert row["basis"] == "template"
    assert row["message_tokens"] == [len(O200K.encode("First: {{ items[0] }}"))]


def test_invalid_version_is_a_row_not_a_crash(examples: Path, cli: CLI) -> None:
    _write(examples, "prompts/p/v1.md", "---\nmodel: openai/gpt-4o\n---\nuser:\nHi\n")
    _write(examples, "prompts/p/v2.md", "---\nmodel: nope\n---\nuser:\nHi\n")
    _write(examples, "prompts/p/v3.md", "---\nmodel: openai/gpt-4o\n---\nuser:\nHi you\n")
    result = cli("stats", "p", "--json")
    assert result.code == 0
    rows = json.loads(result.out)["versions"]
    assert "model must look like 'provider/name'" in rows[1]["error"]
    assert rows[2]["growth"]["since"] == "v1"  # growth skips the version that does not parse
    assert "invalid" in cli("stats", "p").out


def test_unknown_prompt(examples: Path, cli: CLI) -> None:
    result = cli("stats", "nope")
    assert result.code == 1
    assert "no prompt named 'nope'" in result.err
