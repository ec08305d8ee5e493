"""OpenAI and every OpenAI-compatible server (vLLM, Ollama, llama.cpp) via the openai SDK.

Params go to `chat.completions.create` under their own names (`temperature`, `max_tokens`
or `max_completion_tokens`, `top_p`, `stop`, `seed`, ...); any name that method does not take
is an error. `output.format: json` asks for `response_format` json_object (json_schema when
the prompt gives a schema) unless the params set `response_format` themselves.
"""

from __future__ import annotations

from functools import cache
from types import ModuleType
from typing import Any

from promptship.providers.base import Request, Response
from promptship.providers.params import check_params, sdk_parameters
from promptship.providers.sdk_provider import SDKProvider


@cache
def accepted_params() -> frozenset[str]:
    from openai.resources.chat.completions import AsyncCompletions

    return sdk_parameters(AsyncCompletions.create)


def json_response_format(output: dict[str, Any]) -> dict[str, Any] | None:
    if output.get("format") != "json":
        return None
    schema = output.get("schema")
    if isinstance(schema, dict):
        return {"type": "json_schema", "json_schema": {"name": "output", "schema": schema}}
    return {"type": "json_object"}


class OpenAIProvider(SDKProvider):
    sdk_module = "openai"
    client_class = "AsyncOpenAI"
    base_error = "OpenAIError"

    def build(self, request: Request, sdk: ModuleType) -> dict[str, Any]:
        where = f"openai SDK {sdk.__version__} chat.completions.create"
        params = check_params(request.params, accepted_params(), self.settings, where)
        response_format = json_response_format(request.output)
        if response_format is not None:
            params.setdefault("response_format", response_format)
        return {"messages": [dict(m) for m in request.messages], **params}

    async def send(self, client: Any, model: str, kwargs: dict[str, Any]) -> Any:
        return await client.chat.completions.create(model=model, **kwargs)

    def parse(self, raw: Any, request: Request, latency_ms: float) -> Response:
        choice = raw.choices[0] if raw.choices else None
        usage = raw.usage
        return Response(
            text=(choice.message.content or "") if choice else "",
            served_model=raw.model or request.model,
            input_tokens=usage.prompt_tokens if usage else None,
            output_tokens=usage.completion_tokens if usage else None,
            latency_ms=latency_ms,
            finish_reason=choice.finish_reason if choice else None,
        )
