"""Retries: exponential backoff with full jitter, Retry-After honoured, a timeout per call.

Attempt n (1-based) that fails with a retryable ProviderError (429, 408/409, 5xx, timeouts,
dropped connections) waits `uniform(0, min(max_delay, base_delay * 2**(n-1)))` seconds, or
the server's Retry-After when that is longer (capped at max_delay), then tries again.
Non-retryable errors (auth, validation) are raised at once. When the attempts run out the
last error is raised, still marked retryable, saying how many attempts were made.

>>> await generate_with_retries(provider, request, RetryPolicy(max_attempts=3))  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from promptship.providers.base import Provider, ProviderError, Request, Response


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.5  # seconds before the first retry, at most (full jitter)
    max_delay: float = 30.0  # cap on any one wait, Retry-After included
    timeout_s: float = 60.0  # per attempt
    jitter: str = "full"  # "full": uniform(0, backoff); "none": exactly the backoff

    def __post_init__(self) -> None:
        if (
            self.max_attempts < 1
            or self.base_delay < 0
            or self.max_delay < 0
            or self.timeout_s <= 0
        ):
            raise ValueError(f"invalid retry policy: {self}")
        if self.jitter not in ("full", "none"):
            raise ValueError(f"jitter must be 'full' or 'none', got {self.jitter!r}")

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait after failed attempt `attempt` (1-based)."""
        backoff = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        wait = rng.uniform(0, backoff) if self.jitter == "full" else backoff
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_delay))
        return wait


async def generate_with_retries(
    provider: Provider,
    request: Request,
    policy: RetryPolicy,
    rng: random.Random | None = None,
) -> Response:
    """`provider.generate(request)` under `policy`; raises the final ProviderError."""
    rng = rng or random.Random()
    for attempt in range(1, policy.max_attempts + 1):
        try:
            return await asyncio.wait_for(provider.generate(request), policy.timeout_s)
        except TimeoutError:
            error = ProviderError(
                f"{provider.name}: no answer within {policy.timeout_s:g} s", retryable=True
            )
        except ProviderError as exc:
            if not exc.retryable:
                raise
            error = exc
        if attempt == policy.max_attempts:
            break
        await asyncio.sleep(policy.delay(attempt, error.retry_after, rng))
    raise ProviderError(
        f"{error.message} (gave up after {policy.max_attempts} attempt"
        f"{'s' if policy.max_attempts != 1 else ''})",
        retryable=True,
        retry_after=error.retry_after,
        status=error.status,
        fix=error.fix or "the provider kept failing; try again later or lower -j",
    )
