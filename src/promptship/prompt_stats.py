"""How big and how costly one call of a prompt version is, and how that grows per version.

A version is measured as it would be sent with its variable defaults and every required
variable left empty, so the figures are the fixed part of each call: add the size of the
required values (the ticket, the retrieved passages) for a real request. Output tokens are
bounded by `params.max_tokens` (or `max_completion_tokens` / `max_output_tokens`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from promptship import pricing, tokens
from promptship.errors import PromptshipError
from promptship.project import Project
from promptship.prompt import PromptVersion

MAX_OUTPUT_PARAMS = ("max_tokens", "max_completion_tokens", "max_output_tokens")


@dataclass(frozen=True)
class Size:
    """Token counts and cost of one call of one version."""

    name: str
    version: str
    sha: str
    model: str
    message_tokens: tuple[int, ...]  # content tokens of each message
    input_tokens: int  # the whole request, chat framing included
    exact: bool
    encoding: str
    basis: str  # "rendered" (defaults, required empty) or "template" (when that fails)
    empty_variables: tuple[str, ...]  # required variables counted as empty
    max_output_tokens: int | None
    input_cost_usd: float | None
    max_cost_usd: float | None  # input plus max_output_tokens; None if either is unknown

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "sha256": self.sha,
            "model": self.model,
            "message_tokens": list(self.message_tokens),
            "input_tokens": self.input_tokens,
            "exact": self.exact,
            "encoding": self.encoding,
            "basis": self.basis,
            "empty_variables": list(self.empty_variables),
            "max_output_tokens": self.max_output_tokens,
            "input_cost_usd": self.input_cost_usd,
            "max_cost_usd": self.max_cost_usd,
        }


@dataclass(frozen=True)
class Growth:
    """Change in input tokens from the previous version."""

    since: str
    tokens: int
    percent: float | None  # None when the previous version counted 0 tokens

    def to_json(self) -> dict[str, Any]:
        return {"since": self.since, "tokens": self.tokens, "percent": self.percent}


def measure(version: PromptVersion) -> Size:
    """The size and estimated cost of one call of `version`."""
    empty = tuple(v.name for v in version.variables.values() if v.required)
    try:
        messages = version.render(dict.fromkeys(empty, ""))
        basis = "rendered"
    except PromptshipError:
        # A template that cannot render with empty values (it indexes into one, say) is
        # still measured: its source text is the closest honest figure.
        messages = [{"role": m.role, "content": m.content} for m in version.messages]
        basis = "template"
    counted = tokens.count_messages(messages, version.model)
    max_output = max_output_tokens(version.params)
    max_cost = None
    if max_output is not None:
        max_cost = pricing.cost_usd(version.model, counted.total, max_output)
    return Size(
        name=version.name,
        version=version.label,
        sha=version.sha,
        model=version.model,
        message_tokens=counted.per_message,
        input_tokens=counted.total,
        exact=counted.exact,
        encoding=counted.encoding,
        basis=basis,
        empty_variables=empty,
        max_output_tokens=max_output,
        input_cost_usd=pricing.cost_usd(version.model, counted.total, 0),
        max_cost_usd=max_cost,
    )


def max_output_tokens(params: dict[str, Any]) -> int | None:
    for key in MAX_OUTPUT_PARAMS:
        value = params.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def growth(old: Size, new: Size) -> Growth:
    delta = new.input_tokens - old.input_tokens
    percent = round(100 * delta / old.input_tokens, 1) if old.input_tokens else None
    return Growth(old.version, delta, percent)


@dataclass(frozen=True)
class Row:
    """One version in `stats`: its size and growth, or why it could not be measured."""

    name: str
    version: str
    size: Size | None
    growth: Growth | None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        if self.size is None:
            return {"name": self.name, "version": self.version, "error": self.error}
        return {
            **self.size.to_json(),
            "growth": self.growth.to_json() if self.growth else None,
        }


def prompt_rows(project: Project, name: str) -> list[Row]:
    """Every version of `name`, oldest first; growth is against the previous measurable one."""
    rows = []
    previous: Size | None = None
    for number in project.prompt_dir(name).versions:
        label = f"v{number}"
        try:
            size = measure(project.load(name, number))
        except PromptshipError as exc:
            rows.append(Row(name, label, None, None, exc.format()))
            continue
        rows.append(Row(name, label, size, growth(previous, size) if previous else None))
        previous = size
    return rows
