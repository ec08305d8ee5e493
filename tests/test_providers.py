"""The openai and anthropic providers through their real SDKs against a real llama.cpp server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from promptship.errors import PromptshipError
from promptship.project import Project
from promptship.providers.base import Provider, ProviderError, Request, Response
from promptship.providers.llama_server import LocalServer
from promptship.providers.registry import get_provider, split_model

MESSAGES = (
    {"role": "system", "content": "Answer with one word."},
    {"role": "user", "content": "What colour is the sky?"},
)


def project(root: Path, providers: str = "") -> Project:
    root.mkdir(exist_ok=True)
    (root / "prompts").mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text(f"[tool.promptship]\n{providers}", "utf-8")
    return Project(root)


def llama(server: LocalServer, kind: str = "openai", extra: str = "") -> str:
    base = f"{server.base_url}/v1" if kind == "openai" else server.base_url
    return (
        f"[tool.promptship.providers.llama]\n"
        f'type = "{kind}"\nbase_url = "{base}"\napi_key_env = ""\n{extra}'
    )


def generate(provider: Provider, request: Request) -> Response:
    async def once() -> Response:
        try:
            return await provider.generate(request)
        finally:
            await provider.aclose()

    return asyncio.run(once())


def request(**changes: Any) -> Request:
    fields: dict[str, Any] = {"model": "gemma3-270m", "messages": MESSAGES, "params": {}}
    fields["params"] = {"max_tokens": 8, **changes.pop("params", {})}
    return Request(**{**fields, **changes})


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_text_served_model_and_usage(kind: str, llama_server: LocalServer, tmp_path: Path) -> None:
    provider = get_provider("llama", project(tmp_path, llama(llama_server, kind)))
    response = generate(provider, request())
    assert isinstance(response.text, str) and response.text
    assert response.served_model == "gemma3-270m"  # the server's own id, not what we asked
    assert response.input_tokens is not None and response.input_tokens > 5  # system counted
    assert response.output_tokens is not None and 0 < response.output_tokens <= 8
    assert response.latency_ms > 0
    assert response.finish_reason in ("length", "stop", "max_tokens", "end_turn")


def test_openai_sends_temperature_seed_stop(llama_server: LocalServer, tmp_path: Path) -> None:
    provider = get_provider("llama", project(tmp_path, llama(llama_server)))
    params = {"temperature": 0, "seed": 7, "top_p": 0.9, "stop": ["\n"], "max_tokens": 12}
    first = generate(provider, request(params=params))
    second = generate(provider, request(params=params))
    assert first.text == second.text  # greedy + seed: the server honoured them
    assert "\n" not in first.text


def test_json_output_mode_constrains_the_answer(llama_server: LocalServer, tmp_path: Path) -> None:
    provider = get_provider("llama", project(tmp_path, llama(llama_server)))
    schema = {
        "type": "object",
        "properties": {"colour": {"type": "string", "enum": ["blue", "grey"]}},
        "required": ["colour"],
        "additionalProperties": False,
    }
    response = generate(
        provider,
        request(
            params={"max_tokens": 64, "temperature": 0}, output={"format": "json", "schema": schema}
        ),
    )
    # Greedy decoding: sampling could spend the budget on the whitespace JSON allows.
    assert json.loads(response.text)["colour"] in ("blue", "grey"), response


def test_unknown_param_is_an_error_naming_it(llama_server: LocalServer, tmp_path: Path) -> None:
    provider = get_provider("llama", project(tmp_path, llama(llama_server)))
    with pytest.raises(ProviderError) as caught:
        generate(provider, request(params={"temprature": 0}))
    assert not caught.value.retryable
    assert "does not accept param 'temprature'" in caught.value.message
    assert "did you mean 'temperature'?" in str(caught.value)


def test_reserved_param_is_an_error(llama_server: LocalServer, tmp_path: Path) -> None:
    provider = get_provider("llama", project(tmp_path, llama(llama_server)))
    with pytest.raises(ProviderError, match="'stream' is set by promptship"):
        generate(provider, request(params={"stream": True}))


def test_anthropic_temperature_is_reported_not_dropped(
    llama_server: LocalServer, tmp_path: Path
) -> None:
    provider = get_provider("llama", project(tmp_path, llama(llama_server, "anthropic")))
    with pytest.raises(ProviderError) as caught:
        generate(provider, request(params={"temperature": 0}))
    text = str(caught.value)
    assert "anthropic SDK 2." in text and "does not accept param 'temperature'" in text
    assert 'drop_unsupported = ["temperature"]' in text
    assert not caught.value.retryable


def test_anthropic_drop_unsupported_on_purpose(llama_server: LocalServer, tmp_path: Path) -> None:
    config = llama(llama_server, "anthropic", 'drop_unsupported = ["temperature"]\n')
    provider = get_provider("llama", project(tmp_path, config))
    response = generate(provider, request(params={"temperature": 0}))
    assert response.served_model == "gemma3-270m"


def test_anthropic_max_tokens_defaults_to_1024(llama_server: LocalServer, tmp_path: Path) -> None:
    from promptship.providers.anthropic_provider import AnthropicProvider

    provider = get_provider("llama", project(tmp_path, llama(llama_server, "anthropic")))
    assert isinstance(provider, AnthropicProvider)
    kwargs = provider.build(Request("m", MESSAGES), provider.sdk())
    assert kwargs["max_tokens"] == 1024
    assert kwargs["system"] == "Answer with one word."
    assert kwargs["messages"] == [MESSAGES[1]]


@pytest.mark.parametrize(
    ("name", "variable"), [("openai", "OPENAI_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY")]
)
def test_missing_key_names_the_variable(
    name: str, variable: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(variable, raising=False)
    provider = get_provider(name, project(tmp_path))
    with pytest.raises(ProviderError) as caught:
        generate(provider, request())
    assert f"{variable} is not set" in str(caught.value)
    assert not caught.value.retryable


def test_configured_key_variable_is_used(
    llama_server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = llama(llama_server).replace('api_key_env = ""', 'api_key_env = "LLAMA_KEY"')
    provider = get_provider("llama", project(tmp_path, config))
    monkeypatch.delenv("LLAMA_KEY", raising=False)
    with pytest.raises(ProviderError, match="LLAMA_KEY is not set"):
        generate(provider, request())
    monkeypatch.setenv("LLAMA_KEY", "anything")  # llama-server started without --api-key
    assert generate(provider, request()).served_model == "gemma3-270m"


def test_not_found_is_not_retryable(llama_server: LocalServer, tmp_path: Path) -> None:
    config = f'[tool.promptship.providers.llama]\ntype = "openai"\nbase_url = "{llama_server.base_url}/nope/v1"\napi_key_env = ""\n'
    provider = get_provider("llama", project(tmp_path, config))
    with pytest.raises(ProviderError) as caught:
        generate(provider, request())
    assert caught.value.status == 404 and not caught.value.retryable
    assert "check the model name and base_url" in str(caught.value)


def test_refused_connection_is_retryable(tmp_path: Path) -> None:
    config = '[tool.promptship.providers.gone]\ntype = "openai"\nbase_url = "http://127.0.0.1:9/v1"\napi_key_env = ""\n'
    provider = get_provider("gone", project(tmp_path, config))
    with pytest.raises(ProviderError) as caught:
        generate(provider, request())
    assert caught.value.retryable and "connection failed" in caught.value.message


def test_local_provider_reuses_the_registered_server(
    llama_server: LocalServer, tmp_path: Path
) -> None:
    root = project(tmp_path).root
    llama_server.register(root)
    provider = get_provider("local", Project(root))
    assert provider.identity() == {"name": "local", "endpoint": "llama.cpp/gemma3-270m"}

    async def run() -> tuple[Response, LocalServer | None]:
        response = await provider.generate(request())
        server = provider.server  # type: ignore[attr-defined]
        await provider.aclose()
        return response, server

    response, server = asyncio.run(run())
    assert response.served_model == "gemma3-270m"
    assert server is not None and server.base_url == llama_server.base_url
    assert server.process is None  # reused, so not started (and not stopped) by the provider


def test_local_provider_serves_only_the_bundled_model(tmp_path: Path) -> None:
    provider = get_provider("local", project(tmp_path))
    with pytest.raises(ProviderError, match="serves only 'gemma3-270m'"):
        generate(provider, request(model="llama3"))


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            '[tool.promptship.providers.x]\ntype = "openai"\nbase_ulr = "http://a"\n',
            "did you mean 'base_url'?",
        ),
        (
            '[tool.promptship.providers.x]\ntype = "cohere"\n',
            "type must be one of openai, anthropic, local",
        ),
        ("[tool.promptship.providers.x]\nbase_url = 'http://a'\n", "type must be one of"),
        (
            '[tool.promptship.providers.local]\nbase_url = "http://a"\n',
            'use type = "openai" with base_url',
        ),
        (
            "[tool.promptship.providers.openai]\ntimeout_s = 0\n",
            "timeout_s must be a positive number",
        ),
        (
            '[tool.promptship.providers.openai]\nmax_connections = "4"\n',
            "max_connections must be a positive integer",
        ),
        (
            '[tool.promptship.providers.openai]\nbase_url = "localhost:8000"\n',
            "base_url must be an http(s) URL",
        ),
    ],
)
def test_bad_config_is_one_clear_error(table: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(PromptshipError) as caught:
        get_provider("openai", project(tmp_path, table))
    assert message in str(caught.value)
    assert "pyproject.toml" in str(caught.value)


def test_messages_name_the_table_as_promptship_toml_spells_it(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "promptship.toml").write_text('[providers.vllm]\ntype = "openai"\nbase_ulr = "x"\n')
    with pytest.raises(PromptshipError) as caught:
        get_provider("vllm", Project(tmp_path))
    assert str(caught.value).startswith(
        f"{tmp_path / 'promptship.toml'}: [providers.vllm] unknown key"
    )


def test_unknown_provider_says_how_to_configure(tmp_path: Path) -> None:
    with pytest.raises(PromptshipError, match=r"configure \[tool.promptship.providers.vllm\]"):
        get_provider("vllm", project(tmp_path))


def test_a_key_pasted_as_api_key_env_is_not_echoed(tmp_path: Path) -> None:
    table = '[tool.promptship.providers.openai]\napi_key_env = "sk-proj-SECRET123"\n'
    with pytest.raises(PromptshipError) as caught:
        get_provider("openai", project(tmp_path, table))
    assert "SECRET123" not in str(caught.value)


def test_split_model() -> None:
    assert split_model("local/gemma3-270m") == ("local", "gemma3-270m")
    assert split_model("vllm/meta-llama/Llama-3-8B") == ("vllm", "meta-llama/Llama-3-8B")
    with pytest.raises(PromptshipError, match="provider/name"):
        split_model("gpt-4o")


def test_check_reports_a_bad_providers_table(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(
        tmp_path, '[tool.promptship.providers.vllm]\ntype = "openai"\ntimeout = 5\n'
    ).root
    monkeypatch.chdir(root)
    monkeypatch.delenv("PROMPTSHIP_ROOT", raising=False)
    result = cli("check")
    output = result.out + result.err
    assert result.code == 1
    assert "pyproject.toml: [tool.promptship.providers.vllm] unknown key 'timeout'" in output
    assert "did you mean 'timeout_s'?" in output
