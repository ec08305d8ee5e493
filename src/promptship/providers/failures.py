"""SDK exceptions to ProviderError: what went wrong, whether a retry can help, and the fix.

The openai and anthropic SDKs share their exception shapes (`APIStatusError` with
`status_code`, `response.headers` and `body`; `APIConnectionError`; `APITimeoutError`), so one
mapping serves both. Messages never contain the API key.
"""

from __future__ import annotations

import email.utils
import os
import time
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from promptship.providers.base import ProviderError
from promptship.providers.settings import ProviderSettings

RETRYABLE_STATUS = frozenset((408, 409, 425, 429))  # plus every 5xx
MAX_DETAIL = 300  # an error page from a proxy can be a whole HTML document


def from_sdk_error(exc: Exception, sdk: ModuleType, settings: ProviderSettings) -> ProviderError:
    """Map an exception raised by `sdk` (openai or anthropic) to a ProviderError."""
    name = settings.name
    secret = key_value(settings)
    if isinstance(exc, sdk.APITimeoutError):
        return ProviderError(
            f"{name}: request timed out after {settings.timeout_s:g} s", retryable=True
        )
    if isinstance(exc, sdk.APIConnectionError):
        cause = redact(str(exc.__cause__ or exc), secret)
        return ProviderError(
            f"{name}: connection failed ({cause})",
            retryable=True,
            fix=f"check that {settings.base_url} is up" if settings.base_url else None,
        )
    if isinstance(exc, sdk.APIStatusError):
        status = int(exc.status_code)
        if status in (401, 403):
            # The server's own text is left out: some echo part of the key back.
            fix = (
                f"check {settings.api_key_env}"
                if settings.api_key_env
                else f"the server wants a key: set api_key_env in {settings.table}"
            )
            reason = "authentication failed" if status == 401 else "permission denied"
            return ProviderError(
                f"{name}: {reason} (HTTP {status})", retryable=False, status=status, fix=fix
            )
        detail = short(redact(server_message(exc.body) or str(exc.message), secret))
        if status in RETRYABLE_STATUS or status >= 500:
            return ProviderError(
                f"{name}: HTTP {status}: {detail}",
                retryable=True,
                status=status,
                retry_after=retry_after(exc.response.headers),
            )
        fix = "check the model name and base_url" if status == 404 else "fix the request parameters"
        return ProviderError(
            f"{name}: HTTP {status}: {detail}", retryable=False, status=status, fix=fix
        )
    return ProviderError(f"{name}: {redact(str(exc), secret)}", retryable=False)


def server_message(body: object) -> str | None:
    """The human part of an error body: `{"error": {"message": ...}}` and its variants."""
    if isinstance(body, Mapping):
        inner: Any = body.get("error", body)
        if isinstance(inner, Mapping):
            message = inner.get("message")
            return str(message) if message else None
        return str(inner) if inner else None
    return str(body) if body else None


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `retry-after-ms` or `retry-after` (seconds or an HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def key_value(settings: ProviderSettings) -> str | None:
    return os.environ.get(settings.api_key_env) if settings.api_key_env else None


def redact(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text


def short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 3] + "..."
