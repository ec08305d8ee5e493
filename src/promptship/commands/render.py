from __future__ import annotations

from pathlib import Path
from typing import Any

from promptship import strict_yaml
from promptship.errors import PromptshipError, UsageError
from promptship.output import console, emit_json
from promptship.project import Project
from promptship.prompt import decode
from promptship.refs import resolve


def parse_vars(pairs: list[str], vars_file: Path | None) -> dict[str, Any]:
    """Variable values from --vars-file (YAML or JSON mapping) overlaid with --var K=V."""
    values: dict[str, Any] = {}
    if vars_file is not None:
        shown = str(vars_file)
        try:
            text = decode(vars_file.read_bytes(), shown)
        except OSError as exc:
            raise PromptshipError(f"cannot read vars file: {exc.strerror}", where=shown) from None
        loaded = strict_yaml.load(text, shown) if text.strip() else {}
        if not isinstance(loaded, dict):
            raise PromptshipError("a vars file must hold a mapping of name: value", where=shown)
        values.update(loaded)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"invalid --var {pair!r}", fix="write --var NAME=VALUE")
        values[key] = value
    return values


def run(ref: str, pairs: list[str], vars_file: Path | None, as_json: bool) -> int:
    version = resolve(Project.find(), ref)
    messages = version.render(parse_vars(pairs, vars_file))
    if as_json:
        emit_json(
            {
                "name": version.name,
                "version": version.label,
                "sha256": version.sha,
                "model": version.model,
                "params": version.params,
                "messages": messages,
            }
        )
        return 0
    from rich.markup import escape

    out = console()
    for i, message in enumerate(messages):
        if i:
            out.print()
        out.print(f"[bold cyan]{message['role']}:[/]")
        out.print(escape(message["content"]))
    return 0
