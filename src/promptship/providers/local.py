"""The `local` provider: the bundled llama.cpp server with Gemma 3 270M, fully offline.

It reuses the server `promptship local serve` recorded for the project when that one is
healthy; otherwise it starts its own on first use (on a free loopback port) and stops it on
`aclose()` or at exit. Requests go through the OpenAI provider against the server's
OpenAI-compatible endpoint, so the parameter rules and error mapping are the same.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from promptship.providers.base import ProviderError, Request, Response
from promptship.providers.llama_server import (
    MODEL_ALIAS,
    LocalServer,
    registered_server,
    start_server,
)
from promptship.providers.openai_provider import OpenAIProvider
from promptship.providers.settings import ProviderSettings


class LocalProvider:
    def __init__(self, settings: ProviderSettings, root: Path) -> None:
        self.name = settings.name
        self.settings = settings
        self.root = root
        self._server: LocalServer | None = None
        self._inner: OpenAIProvider | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        url = self._server.base_url if self._server else None
        return f"LocalProvider(name={self.name!r}, server={url!r})"

    def identity(self) -> dict[str, Any]:
        # Not the URL: the port changes every run, the answers do not.
        return {"name": self.name, "endpoint": f"llama.cpp/{MODEL_ALIAS}"}

    @property
    def server(self) -> LocalServer | None:
        return self._server

    async def generate(self, request: Request) -> Response:
        if request.model != MODEL_ALIAS:
            raise ProviderError(
                f"{self.name}: the bundled server serves only {MODEL_ALIAS!r}, not {request.model!r}",
                retryable=False,
                fix=f"use model local/{MODEL_ALIAS}, or configure an openai-type provider "
                "with base_url for your own server",
            )
        inner = self._inner
        if inner is None:
            inner = await asyncio.to_thread(self._start)
        return await inner.generate(request)

    def _start(self) -> OpenAIProvider:
        with self._lock:  # concurrent first calls start one server
            if self._inner is None:
                server = registered_server(self.root) or start_server()
                self._server = server
                self._inner = OpenAIProvider(
                    ProviderSettings(
                        name=self.name,
                        type="openai",
                        base_url=f"{server.base_url}/v1",
                        api_key_env="",
                        timeout_s=self.settings.timeout_s,
                        max_connections=self.settings.max_connections,
                    )
                )
            return self._inner

    async def aclose(self) -> None:
        inner, self._inner = self._inner, None
        server, self._server = self._server, None
        if inner is not None:
            await inner.aclose()
        if server is not None:
            server.stop()  # a no-op for a server `local serve` owns
