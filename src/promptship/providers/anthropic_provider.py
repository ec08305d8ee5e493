"""Anthropic (and Anthropic-compatible servers such as llama.cpp's `/v1/messages`).

System messages are joined into `system=`; `max_tokens`, which the API requires, defaults
to 1024. The 2.x SDK's `messages.create` takes no `temperature` (nor `top_p`/`top_k`): like
any param it does not take, that is an error naming it, unless the provider's config lists
it in `drop_unsupported`. `output.format: json` with a schema sends
`output_config.format` json_schema; without a schema the request is unchanged.
"""

from __future__ import annotations

from functools import cache
from types import ModuleType
from typing import Any

from promptship.providers.base import ProviderError, Request, Response
from promptship.providers.params import check_params, sdk_parameters
from promptship.providers.sdk_provider import SDKProvider

DEFAULT_MAX_TOKENS = 1024


@cache
def accepted_params() -> frozenset[str]:
    from anthropic.resources.messages import AsyncMessages

    return sdk_parameters(AsyncMessages.create)


class AnthropicProvider(SDKProvider):
    sdk_module = "anthropic"
    client_class = "AsyncAnthropic"
    base_error = "AnthropicError"

    def build(self, request: Request, sdk: ModuleType) -> dict[str, Any]:
        where = f"anthropic SDK {sdk.__version__} messages.create"
        params = check_params(request.params, accepted_params(), self.settings, where)
        params.setdefault("max_tokens", DEFAULT_MAX_TOKENS)
        schema = request.output.get("schema")
        if request.output.get("format") == "json" and isinstance(schema, dict):
            params.setdefault(
                "output_config", {"format": {"type": "json_schema", "schema": schema}}
            )
        system = [m["content"] for m in request.messages if m["role"] == "system"]
        turns = [dict(m) for m in request.messages if m["role"] != "system"]
        for turn in turns:
            if turn["role"] not in ("user", "assistant"):
                raise ProviderError(
                    f"{self.name}: message role {turn['role']!r} is not supported",
                    retryable=False,
                    fix="use system, user and assistant messages",
                )
        if system:
            params["system"] = "\n\n".join(system)
        return {"messages": turns, **params}

    async def send(self, client: Any, model: str, kwargs: dict[str, Any]) -> Any:
        return await client.messages.create(model=model, **kwargs)

    def parse(self, raw: Any, request: Request, latency_ms: float) -> Response:
        text = "".join(block.text for block in raw.content if block.type == "text")
        usage = raw.usage
        return Response(
            text=text,
            served_model=raw.model or request.model,
            input_tokens=input_tokens(usage),
            output_tokens=usage.output_tokens if usage else None,
            latency_ms=latency_ms,
            finish_reason=raw.stop_reason,
        )


def input_tokens(usage: Any) -> int | None:
    """All prompt tokens: the API counts cache reads and writes apart from `input_tokens`."""
    if usage is None:
        return None
    cached = (usage.cache_read_input_tokens or 0) + (usage.cache_creation_input_tokens or 0)
    return int(usage.input_tokens) + cached
