"""What the openai and anthropic providers share: the lazily imported SDK, the key from the
environment, one client per event loop with the SDK's own retries off (our retry policy is
the only one), a connection limit, timing, and error mapping."""

from __future__ import annotations

import asyncio
import importlib
import os
import time
from types import ModuleType
from typing import Any, ClassVar

from promptship.errors import PromptshipError
from promptship.providers.base import ProviderError, Request, Response
from promptship.providers.failures import from_sdk_error
from promptship.providers.settings import ProviderSettings

NO_KEY = "not-needed"  # what the SDKs get when the server wants no key (api_key_env = "")


class SDKProvider:
    sdk_module: ClassVar[str]  # "openai" | "anthropic"
    base_error: ClassVar[str]  # the SDK's root exception class name
    client_class: ClassVar[str]  # the SDK's async client, e.g. "AsyncOpenAI"

    def __init__(self, settings: ProviderSettings) -> None:
        self.name = settings.name
        self.settings = settings
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: asyncio.Semaphore | None = None

    def __repr__(self) -> str:  # never the client: it holds the key
        return f"{type(self).__name__}(name={self.name!r}, endpoint={self.endpoint()!r})"

    def endpoint(self) -> str | None:
        """The configured base_url (or the SDK's *_BASE_URL variable); None = vendor default."""
        variable = f"{self.sdk_module.upper()}_BASE_URL"
        return self.settings.base_url or os.environ.get(variable) or None

    def identity(self) -> dict[str, Any]:
        return {"name": self.name, "endpoint": self.endpoint()}

    def sdk(self) -> ModuleType:
        try:
            return importlib.import_module(self.sdk_module)
        except ImportError:
            raise PromptshipError(
                f"provider {self.name!r} needs the {self.sdk_module} package",
                fix=f"pip install {self.sdk_module}",
            ) from None

    def api_key(self) -> str:
        variable = self.settings.api_key_env
        if not variable:
            return NO_KEY
        key = os.environ.get(variable, "").strip()
        if not key:
            raise ProviderError(
                f"{self.name}: no API key: {variable} is not set",
                retryable=False,
                fix=f'set {variable} in the environment, or api_key_env = "" in '
                f"{self.settings.table} for a server that needs no key",
            )
        return key

    async def generate(self, request: Request) -> Response:
        sdk = self.sdk()
        kwargs = self.build(request, sdk)  # validates before any network traffic
        client, slots = self._session(sdk)
        async with slots:
            start = time.perf_counter()
            try:
                raw = await self.send(client, request.model, kwargs)
            except getattr(sdk, self.base_error) as exc:
                raise from_sdk_error(exc, sdk, self.settings) from None
            latency_ms = (time.perf_counter() - start) * 1000
        return self.parse(raw, request, latency_ms)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    def _session(self, sdk: ModuleType) -> tuple[Any, asyncio.Semaphore]:
        # Clients and semaphores belong to one event loop; a new loop gets new ones.
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = self.make_client(sdk, self.api_key())
            self._slots = asyncio.Semaphore(self.settings.max_connections)
            self._loop = loop
        assert self._slots is not None
        return self._client, self._slots

    def make_client(self, sdk: ModuleType, key: str) -> Any:
        return getattr(sdk, self.client_class)(
            api_key=key,
            base_url=self.settings.base_url,
            timeout=self.settings.timeout_s,
            max_retries=0,
        )

    # Each SDK provider fills these in.
    def build(self, request: Request, sdk: ModuleType) -> dict[str, Any]:
        raise NotImplementedError

    async def send(self, client: Any, model: str, kwargs: dict[str, Any]) -> Any:
        raise NotImplementedError

    def parse(self, raw: Any, request: Request, latency_ms: float) -> Response:
        raise NotImplementedError
