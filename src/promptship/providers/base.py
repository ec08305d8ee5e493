"""The provider interface shared by evals, the judge and drift.

A provider turns a `Request` (rendered messages, model, params) into a `Response`
(text, usage, the model id the server says served it). Failures are `ProviderError`s that
say whether a retry can help.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from promptship.errors import PromptshipError


@dataclass(frozen=True)
class Request:
    model: str  # the model name without the provider prefix, e.g. "gpt-4o-mini"
    messages: tuple[dict[str, str], ...]  # rendered [{role, content}]
    params: dict[str, Any] = field(default_factory=dict)
    output: dict[str, Any] = field(default_factory=lambda: {"format": "text"})


@dataclass(frozen=True)
class Response:
    text: str
    served_model: str  # the response's own model id (the snapshot), recorded with every output
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_ms: float = 0.0
    finish_reason: str | None = None


class ProviderError(PromptshipError):
    """A provider call failed. `retryable` errors (429, 5xx, timeouts, dropped connections)
    are retried with backoff; others (auth, validation) fail the run fast with the fix."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        status: int | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(message, fix=fix)
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


class Provider(Protocol):
    name: str  # "openai", "anthropic", "local", ...

    def identity(self) -> dict[str, Any]:
        """What distinguishes this provider's answers in the cache: name and endpoint."""
        ...

    async def generate(self, request: Request) -> Response:
        """One completion; raises ProviderError."""
        ...

    async def aclose(self) -> None: ...
