"""Estimated cost of a call, from a small dated table of public list prices.

Prices are USD per million tokens, standard (non-batch, uncached) rates from the providers'
public price pages as of `PRICES_AS_OF`. Providers change prices: treat results as
estimates. A dated snapshot (`gpt-4o-2024-08-06`, `claude-sonnet-4-5-20250929`) or a
`-latest` alias costs what its family costs unless the table lists the snapshot itself; any other unknown model is `None`, never a guess.
`local/*` models run on your machine and cost 0.
"""

from __future__ import annotations

import re

PRICES_AS_OF = "2025-11"

# model name -> (input, output) USD per million tokens
PRICES: dict[str, dict[str, tuple[float, float]]] = {
    "openai": {
        "gpt-5": (1.25, 10.00),
        "gpt-5-mini": (0.25, 2.00),
        "gpt-5-nano": (0.05, 0.40),
        "gpt-4.1": (2.00, 8.00),
        "gpt-4.1-mini": (0.40, 1.60),
        "gpt-4.1-nano": (0.10, 0.40),
        "gpt-4o": (2.50, 10.00),
        "gpt-4o-2024-05-13": (5.00, 15.00),  # the first snapshot kept its launch price
        "gpt-4o-mini": (0.15, 0.60),
        "o1": (15.00, 60.00),
        "o1-mini": (1.10, 4.40),
        "o3": (2.00, 8.00),
        "o3-mini": (1.10, 4.40),
        "o4-mini": (1.10, 4.40),
        "gpt-4-turbo": (10.00, 30.00),
        "gpt-4": (30.00, 60.00),
        "gpt-4-32k": (60.00, 120.00),
        "gpt-3.5-turbo": (0.50, 1.50),
        "gpt-3.5-turbo-1106": (1.00, 2.00),
    },
    "anthropic": {
        "claude-opus-4-5": (5.00, 25.00),
        "claude-opus-4-1": (15.00, 75.00),
        "claude-opus-4": (15.00, 75.00),
        "claude-opus-4-0": (15.00, 75.00),
        "claude-sonnet-4-5": (3.00, 15.00),
        "claude-sonnet-4": (3.00, 15.00),
        "claude-sonnet-4-0": (3.00, 15.00),
        "claude-3-7-sonnet": (3.00, 15.00),
        "claude-haiku-4-5": (1.00, 5.00),
        "claude-3-5-haiku": (0.80, 4.00),
        "claude-3-haiku": (0.25, 1.25),
    },
}
FREE_PROVIDERS = frozenset(("local",))
# What may follow a family name: a snapshot date (-2024-08-06, -20250929, -0613) or -latest.
# Anything else (-preview, -audio, -32k) is another product with its own price.
_SNAPSHOT = re.compile(r"(-\d{4}(-\d{2}-\d{2})?|-\d{8}|-latest)?")


def price(model: str) -> tuple[float, float] | None:
    """(input, output) USD per million tokens for "provider/name", or None when unknown.

    >>> price("openai/gpt-4o-mini-2024-07-18")
    (0.15, 0.6)
    >>> price("openai/gpt-4o-audio-preview") is None
    True
    """
    provider, _, name = model.partition("/")
    if provider in FREE_PROVIDERS:
        return (0.0, 0.0)
    table = PRICES.get(provider, {})
    family = max(
        (key for key in table if name.startswith(key) and _SNAPSHOT.fullmatch(name[len(key) :])),
        key=len,
        default=None,
    )
    return None if family is None else table[family]


def cost_usd(model: str, input_tokens: int, output_tokens: int) -> float | None:
    """Estimated USD cost of one call, or None when the model's price is unknown.

    >>> cost_usd("openai/gpt-4o", 1_000_000, 100_000)
    3.5
    """
    rates = price(model)
    if rates is None:
        return None
    return (input_tokens * rates[0] + output_tokens * rates[1]) / 1_000_000
