"""The price table: lookups, dated snapshots, unknown models, and its consistency."""

from __future__ import annotations

import pytest

from promptship.pricing import PRICES, cost_usd, price
from promptship.tokens import encoding_for


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("openai/gpt-4o", (2.50, 10.00)),
        ("openai/gpt-4o-2024-08-06", (2.50, 10.00)),
        ("openai/gpt-4o-2024-05-13", (5.00, 15.00)),  # a snapshot listed on its own
        ("openai/gpt-4o-mini-2024-07-18", (0.15, 0.60)),
        ("openai/gpt-4.1-mini", (0.40, 1.60)),
        ("openai/o3-mini-2025-01-31", (1.10, 4.40)),
        ("openai/gpt-4-0613", (30.00, 60.00)),
        ("anthropic/claude-sonnet-4-5-20250929", (3.00, 15.00)),
        ("anthropic/claude-haiku-4-5", (1.00, 5.00)),
        ("anthropic/claude-opus-4-1-20250805", (15.00, 75.00)),
        ("anthropic/claude-3-5-haiku-latest", (0.80, 4.00)),
        ("local/gemma3-270m", (0.0, 0.0)),
    ],
)
def test_known_prices(model: str, expected: tuple[float, float]) -> None:
    assert price(model) == expected


@pytest.mark.parametrize(
    "model",
    [
        "openai/gpt-4-1106-preview",  # a "-preview" is another product, not gpt-4
        "openai/gpt-4o-audio-preview",
        "openai/gpt-4o1",
        "anthropic/claude-sonnet-4-6",  # a newer family must not get claude-sonnet-4's price
        "anthropic/gpt-4o",
        "vllm/llama-3-8b",
        "gpt-4o",  # no provider: unknown rather than a guess
    ],
)
def test_unknown_models_have_no_price(model: str) -> None:
    assert price(model) is None
    assert cost_usd(model, 1000, 1000) is None


def test_cost_arithmetic() -> None:
    assert cost_usd("openai/gpt-4o-mini", 1_000_000, 0) == pytest.approx(0.15)
    assert cost_usd("openai/gpt-4o-mini", 0, 1_000_000) == pytest.approx(0.60)
    assert cost_usd("anthropic/claude-sonnet-4-5", 1200, 300) == pytest.approx(
        (1200 * 3 + 300 * 15) / 1e6
    )
    assert cost_usd("local/gemma3-270m", 10**6, 10**6) == 0.0


def test_table_is_sane() -> None:
    for provider, table in PRICES.items():
        for name, (input_price, output_price) in table.items():
            assert 0 < input_price <= output_price, f"{provider}/{name}"
            assert price(f"{provider}/{name}") == (input_price, output_price)


def test_every_priced_openai_model_is_counted_exactly() -> None:
    for name in PRICES["openai"]:
        assert encoding_for(f"openai/{name}")[1], name
