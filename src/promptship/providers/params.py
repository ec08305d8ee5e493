"""Which prompt `params` a provider's SDK accepts: unsupported ones are errors, never dropped.

The accepted set is read from the installed SDK's own `create()` signature, so it follows
the SDK version exactly (anthropic 2.x, for instance, has no `temperature`). Parameters that
promptship sets itself (model, messages, streaming, ...) are reserved.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterable
from typing import Any

from promptship.providers.base import ProviderError
from promptship.providers.settings import ProviderSettings

# Never accepted from params: promptship owns these (or they change the answer's shape).
RESERVED = frozenset(
    {
        *("messages", "model", "system", "stream", "stream_options", "n", "timeout"),
        *("extra_headers", "extra_query", "extra_body"),
    }
)


def sdk_parameters(method: Callable[..., Any]) -> frozenset[str]:
    """The keyword parameters `method` (an SDK `create`) takes, minus the reserved ones."""
    names = inspect.signature(method).parameters
    return frozenset(n for n in names if n != "self" and n not in RESERVED)


def check_params(
    params: dict[str, Any],
    accepted: Iterable[str],
    settings: ProviderSettings,
    sdk: str,
) -> dict[str, Any]:
    """`params` as the SDK will get them; raises a non-retryable ProviderError naming the
    first parameter the SDK does not accept, unless config drops it on purpose."""
    accepted = frozenset(accepted)
    kept: dict[str, Any] = {}
    for key, value in params.items():
        if key in accepted:
            kept[key] = value
        elif key in settings.drop_unsupported:
            continue  # the user asked for this in config; documented, not silent
        else:
            raise unsupported(key, accepted, settings, sdk)
    return kept


def unsupported(
    key: str, accepted: frozenset[str], settings: ProviderSettings, sdk: str
) -> ProviderError:
    heading = settings.table
    if key in RESERVED:
        return ProviderError(
            f"{settings.name}: param {key!r} is set by promptship, not by the prompt",
            retryable=False,
            fix=f"remove {key!r} from params",
        )
    close = difflib.get_close_matches(key, sorted(accepted), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return ProviderError(
        f"{settings.name}: {sdk} does not accept param {key!r}",
        retryable=False,
        fix=f"{hint}remove it from the prompt's params, or leave it out on purpose with "
        f'{heading} drop_unsupported = ["{key}"]',
    )
