"""Where command output goes: pure JSON on stdout, rich text for people.

Rich is imported only when a command prints for a person, so fast paths stay fast.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def emit_json(value: Any) -> None:
    """The one JSON serializer for `--json`: stable key order, UTF-8, newline-terminated."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


@cache
def console() -> Console:
    """A console on stdout that follows the terminal and NO_COLOR."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


@cache
def err_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def use_color(stream: Any = sys.stdout) -> bool:
    import os

    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")
