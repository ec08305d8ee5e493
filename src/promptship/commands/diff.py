from __future__ import annotations

from typing import TYPE_CHECKING

from promptship.diffing import MessageDiff, VersionDiff, diff_versions
from promptship.names import VERSION_RE
from promptship.output import console, emit_json
from promptship.project import Project
from promptship.refs import resolve
from promptship.sha import short

if TYPE_CHECKING:
    from rich.console import Console


def run(name: str, a: str, b: str, as_json: bool) -> int:
    project = Project.find()
    old = resolve(project, f"{name}@{a}")
    new = resolve(project, f"{name}@{b}")
    result = diff_versions(project, old, new)
    if as_json:
        document = result.to_json()
        document["old"]["selector"], document["new"]["selector"] = a, b
        emit_json(document)
        return 0
    _print(result, a, b)
    return 0


def _print(result: VersionDiff, a: str, b: str) -> None:
    from rich.text import Text

    out = console()
    old, new = result.old, result.new
    out.print(
        Text.assemble(
            (new.name, "bold"),
            f" {_side(a, old.label)} ",
            (short(old.sha), "yellow"),
            " -> ",
            f"{_side(b, new.label)} ",
            (short(new.sha), "yellow"),
        )
    )
    if result.config:
        out.print(Text("\nconfig", style="bold"))
        for change in result.config:
            style = {"added": "green", "removed": "red"}.get(change.kind, "")
            if change.documentation_only:
                style = "dim"
            out.print(Text("  " + change.line(), style=style))
    if result.identical:
        out.print("\nidentical: same SHA, so the same messages, model and params are sent")
        return
    for message in result.messages:
        _print_message(out, message)
    out.print()
    out.print(_token_line(result))
    if result.eval is not None:
        from promptship.eval_delta import format_lines

        out.print()
        for line in format_lines(result.eval):
            out.print(Text(line))


def _print_message(out: Console, message: MessageDiff) -> None:
    from rich.text import Text

    role = message.new_role or message.old_role
    if message.role_changed:
        role = f"{message.old_role} -> {message.new_role}"
    tokens = _tokens(message.old_tokens, message.new_tokens)
    out.print(Text(f"\nmessage {message.index} ({role}): {message.status}, {tokens}", style="bold"))
    for line in message.unified:
        style = ""
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("@@"):
            style = "cyan"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        out.print(Text(line, style=style))


def _tokens(old: int | None, new: int | None) -> str:
    if old is None:
        return f"{new} tokens"
    if new is None:
        return f"{old} tokens"
    if old == new:
        return f"{new} tokens"
    return f"{old} -> {new} tokens ({new - old:+d})"


def _token_line(result: VersionDiff) -> str:
    old, new = result.old_size, result.new_size
    change = result.tokens
    percent = f", {change.percent:+.1f}%" if change.percent is not None else ""
    exact = old.exact and new.exact
    encodings = sorted({old.encoding, new.encoding})
    label = "exact" if exact else "estimate"
    line = (
        f"input tokens per call: {old.input_tokens} -> {new.input_tokens} "
        f"({change.tokens:+d}{percent}; {label}, {' / '.join(encodings)}, chat framing included)"
    )
    empty = sorted(set(old.empty_variables) | set(new.empty_variables))
    if empty:
        line += f"\nrequired variables counted as empty: {', '.join(empty)}"
    if "template" in (old.basis, new.basis):
        line += "\nsome templates do not render with empty values; their template text was counted"
    return line


def _side(selector: str, label: str) -> str:
    return label if VERSION_RE.fullmatch(selector) else f"{selector} ({label})"
