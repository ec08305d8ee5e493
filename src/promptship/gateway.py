"""Model calls outside the provider classes: one provider instance per name, the response
cache, the retry policy and a bound on calls in flight. The run engine, the judge and
`judge calibrate` all call models through a `Gateway`, so caching and retries are the same
everywhere.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from promptship.providers.base import Request, Response

if TYPE_CHECKING:
    from promptship.cache import ResponseCache
    from promptship.project import Project
    from promptship.providers.base import Provider
    from promptship.providers.retry import RetryPolicy


class Gateway:
    def __init__(
        self,
        project: Project,
        cache: ResponseCache | None,
        *,
        use_cache: bool = True,
        concurrency: int = 4,
    ) -> None:
        self.project = project
        self.cache = cache
        self.use_cache = use_cache  # False still writes fresh answers to the cache
        self.requests = 0  # calls that reached a provider (not answered by the cache)
        self._providers: dict[str, Provider] = {}
        self._semaphore = asyncio.Semaphore(max(1, concurrency))

    def provider(self, name: str) -> Provider:
        if name not in self._providers:
            from promptship.providers.registry import get_provider

            self._providers[name] = get_provider(name, self.project)
        return self._providers[name]

    async def call(
        self, provider_name: str, request: Request, repeat_index: int = 0
    ) -> tuple[Response, bool]:
        """(response, from cache): through the cache, bounded, retried per the provider."""
        from promptship.cache import cache_key
        from promptship.providers import retry

        provider = self.provider(provider_name)
        key = cache_key(provider.identity(), request, repeat_index)
        if self.cache is not None and self.use_cache:
            hit = self.cache.get(key)
            if hit is not None:
                return hit, True
        async with self._semaphore:
            self.requests += 1
            response = await retry.generate_with_retries(provider, request, _policy(provider))
        if self.cache is not None:
            self.cache.put(key, provider_name, request.model, response)
        return response, False

    async def generate(self, model: str, request: Request) -> Response:
        """`generate("provider/model", request)`: what the judge is given to call models."""
        response, _ = await self.call(model.split("/", 1)[0], request)
        return response

    def endpoint(self, provider_name: str) -> str | None:
        """The endpoint a provider used in this gateway, or None (also when it was never used)."""
        provider = self._providers.get(provider_name)
        endpoint = provider.identity().get("endpoint") if provider is not None else None
        return str(endpoint) if endpoint is not None else None

    async def aclose(self) -> None:
        for provider in self._providers.values():
            await provider.aclose()
        self._providers.clear()


def _policy(provider: Provider) -> RetryPolicy:
    from promptship.providers.retry import RetryPolicy

    settings = getattr(provider, "settings", None)
    timeout = getattr(settings, "timeout_s", None)
    return RetryPolicy(timeout_s=float(timeout)) if timeout else RetryPolicy()
