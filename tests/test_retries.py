"""Retry policy against a real llama.cpp server behind a fault-injecting proxy.

The proxy's request count proves how many attempts the policy made.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from pathlib import Path

import pytest

from fault_proxy import FaultProxy, cut, drop, stall, status
from promptship.project import Project
from promptship.providers.base import Provider, ProviderError, Request, Response
from promptship.providers.llama_server import LocalServer
from promptship.providers.registry import get_provider
from promptship.providers.retry import RetryPolicy, generate_with_retries

FAST = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=5, timeout_s=30)
REQUEST = Request(
    model="gemma3-270m",
    messages=({"role": "user", "content": "Say hi."},),
    params={"max_tokens": 4},
)
FAKE_KEY = "sk-test-DO-NOT-LEAK-4f9a1c"


def provider_for(proxy: FaultProxy, root: Path, kind: str = "openai", extra: str = "") -> Provider:
    base = f"{proxy.url}/v1" if kind == "openai" else proxy.url
    (root / "prompts").mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        f'[tool.promptship.providers.flaky]\ntype = "{kind}"\nbase_url = "{base}"\n'
        f'api_key_env = "FLAKY_KEY"\n{extra}',
        "utf-8",
    )
    return get_provider("flaky", Project(root))


def run(provider: Provider, policy: RetryPolicy = FAST) -> Response:
    async def once() -> Response:
        try:
            return await generate_with_retries(provider, REQUEST, policy)
        finally:
            await provider.aclose()

    return asyncio.run(once())


@pytest.fixture(autouse=True)
def fake_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FLAKY_KEY", FAKE_KEY)  # llama-server ignores it; the proxy echoes it
    return FAKE_KEY


def test_429_with_retry_after_then_500_then_ok(llama_server: LocalServer, tmp_path: Path) -> None:
    plan = [status(429, {"Retry-After": "1"}), status(500)]
    with FaultProxy(llama_server.base_url, plan) as proxy:
        start = time.monotonic()
        response = run(provider_for(proxy, tmp_path))
        elapsed = time.monotonic() - start
    assert response.served_model == "gemma3-270m"
    assert proxy.count == 3
    assert [kind for kind, _ in proxy.seen] == ["status", "status", "ok"]
    assert elapsed >= 1.0  # Retry-After honoured, though the backoff alone is ~0.01 s


def test_retry_after_ms_is_honoured(llama_server: LocalServer, tmp_path: Path) -> None:
    with FaultProxy(llama_server.base_url, [status(503, {"retry-after-ms": "400"})]) as proxy:
        start = time.monotonic()
        run(provider_for(proxy, tmp_path))
        elapsed = time.monotonic() - start
    assert proxy.count == 2 and elapsed >= 0.4


def test_retry_after_is_capped_by_max_delay(llama_server: LocalServer, tmp_path: Path) -> None:
    policy = RetryPolicy(base_delay=0.01, max_delay=0.2, timeout_s=30)
    with FaultProxy(llama_server.base_url, [status(429, {"Retry-After": "3600"})]) as proxy:
        start = time.monotonic()
        run(provider_for(proxy, tmp_path), policy)
        elapsed = time.monotonic() - start
    assert proxy.count == 2 and elapsed < 30


def test_stall_past_the_policy_timeout_is_retried(
    llama_server: LocalServer, tmp_path: Path
) -> None:
    policy = RetryPolicy(base_delay=0.01, timeout_s=1.0)
    with FaultProxy(llama_server.base_url, [stall(5)]) as proxy:
        start = time.monotonic()
        response = run(provider_for(proxy, tmp_path), policy)
        elapsed = time.monotonic() - start
    assert response.text is not None
    assert proxy.count == 2
    assert 1.0 <= elapsed < 5


def test_stall_past_the_sdk_timeout_is_retried(llama_server: LocalServer, tmp_path: Path) -> None:
    with FaultProxy(llama_server.base_url, [stall(5), stall(5)]) as proxy:
        provider = provider_for(proxy, tmp_path, extra="timeout_s = 0.5\n")
        start = time.monotonic()
        run(provider)
        elapsed = time.monotonic() - start
    assert proxy.count == 3 and 1.0 <= elapsed < 5


@pytest.mark.parametrize("fault", [drop, cut], ids=["drop-before-answer", "cut-mid-answer"])
def test_dropped_connection_is_retried(
    fault: object, llama_server: LocalServer, tmp_path: Path
) -> None:
    assert callable(fault)
    with FaultProxy(llama_server.base_url, [fault(), fault()]) as proxy:
        response = run(provider_for(proxy, tmp_path))
    assert proxy.count == 3
    assert response.served_model == "gemma3-270m"


def test_anthropic_overloaded_529_is_retried(llama_server: LocalServer, tmp_path: Path) -> None:
    overloaded = status(
        529,
        body='{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}',
    )
    with FaultProxy(llama_server.base_url, [overloaded]) as proxy:
        response = run(provider_for(proxy, tmp_path, "anthropic"))
    assert proxy.count == 2 and response.served_model == "gemma3-270m"


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_401_fails_after_one_request_with_the_fix(
    kind: str, llama_server: LocalServer, tmp_path: Path
) -> None:
    echo = '{"error": {"message": "Incorrect API key provided: {key}"}}'
    with (
        FaultProxy(llama_server.base_url, [status(401, body=echo)] * 3) as proxy,
        pytest.raises(ProviderError) as caught,
    ):
        run(provider_for(proxy, tmp_path, kind))
    assert proxy.count == 1
    assert not caught.value.retryable and caught.value.status == 401
    assert "authentication failed (HTTP 401) (check FLAKY_KEY)" in str(caught.value)


def test_400_fails_fast_with_the_servers_message(llama_server: LocalServer, tmp_path: Path) -> None:
    body = '{"error": {"message": "context length exceeded"}}'
    with (
        FaultProxy(llama_server.base_url, [status(400, body=body)]) as proxy,
        pytest.raises(ProviderError) as caught,
    ):
        run(provider_for(proxy, tmp_path))
    assert proxy.count == 1 and not caught.value.retryable
    assert "HTTP 400: context length exceeded" in str(caught.value)


def test_an_html_error_page_is_shortened(llama_server: LocalServer, tmp_path: Path) -> None:
    page = "<html><body>" + "Bad gateway. " * 200 + "</body></html>"
    policy = RetryPolicy(max_attempts=1, timeout_s=30)
    with (
        FaultProxy(llama_server.base_url, [status(502, body=page)]) as proxy,
        pytest.raises(ProviderError) as caught,
    ):
        run(provider_for(proxy, tmp_path), policy)
    assert proxy.count == 1
    assert "HTTP 502: <html><body>Bad gateway." in caught.value.message
    assert len(caught.value.message) < 400


def test_exhausted_retries_raise_a_retryable_error(
    llama_server: LocalServer, tmp_path: Path
) -> None:
    policy = RetryPolicy(max_attempts=3, base_delay=0.01, timeout_s=30)
    with (
        FaultProxy(llama_server.base_url, [status(502)] * 5) as proxy,
        pytest.raises(ProviderError) as caught,
    ):
        run(provider_for(proxy, tmp_path), policy)
    assert proxy.count == 3
    assert caught.value.retryable and caught.value.status == 502
    assert "gave up after 3 attempts" in str(caught.value)


def test_the_key_never_appears_in_errors_reprs_or_logs(
    llama_server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = '{"error": {"message": "bad key {key} for this model"}}'
    errors: list[ProviderError] = []
    plan = [status(401, body=echo), status(400, body=echo), status(500, body=echo), drop()]
    with FaultProxy(llama_server.base_url, plan) as proxy:
        provider = provider_for(proxy, tmp_path)
        one_try = RetryPolicy(max_attempts=1, timeout_s=30)
        for _ in plan:
            with pytest.raises(ProviderError) as caught:
                run(provider, one_try)
            errors.append(caught.value)
        assert proxy.count == 4
        texts = [repr(provider), *(f"{e!s} {e!r} {e.fix} {e.args}" for e in errors), caplog.text]
    assert "bad key *** for this model" in str(errors[1])  # the echo was there, redacted
    for text in texts:
        assert FAKE_KEY not in text


def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4)
    rng = random.Random(1)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)]:
        delays = [policy.delay(attempt, None, rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # jitter spans the whole range
    assert RetryPolicy(base_delay=0.5, jitter="none").delay(3, None, rng) == 2.0
    assert policy.delay(1, 3.0, rng) == 3.0  # Retry-After is a floor
    assert policy.delay(1, 60.0, rng) == 4.0  # capped at max_delay
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
