"""Prompt names and version labels."""

from __future__ import annotations

import re

from promptship.errors import PromptshipError

NAME_RE = re.compile(r"[a-z0-9_-]+(/[a-z0-9_-]+)*")
VERSION_RE = re.compile(r"v([1-9][0-9]*)")
VERSION_FILE_RE = re.compile(r"v([1-9][0-9]*)\.(md|yaml)")


def check_name(name: str, *, where: str | None = None) -> str:
    """Return `name` if it is a valid prompt name, else raise.

    >>> check_name("billing/refund_handler")
    'billing/refund_handler'
    """
    if not NAME_RE.fullmatch(name):
        raise PromptshipError(
            f"invalid prompt name {name!r}",
            where=where,
            fix="use lowercase letters, digits, '_' and '-', nested with '/'",
        )
    return name


def parse_version(label: str, *, where: str | None = None) -> int:
    """`v7` -> 7."""
    match = VERSION_RE.fullmatch(label)
    if not match:
        raise PromptshipError(
            f"invalid version {label!r}", where=where, fix="versions look like v1, v2, ..."
        )
    return int(match.group(1))
