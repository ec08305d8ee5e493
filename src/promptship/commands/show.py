from __future__ import annotations

from typing import Any

from promptship.output import console, emit_json
from promptship.project import Project
from promptship.prompt import PromptVersion
from promptship.refs import resolve
from promptship.sha import short


def describe(version: PromptVersion) -> dict[str, Any]:
    """A version as JSON: what `show --json` prints and other commands reuse."""
    return {
        "name": version.name,
        "version": version.label,
        "sha256": version.sha,
        "file": version.path,
        **version.config(),
        "messages": [{"role": m.role, "content": m.content} for m in version.messages],
    }


def run(ref: str, as_json: bool) -> int:
    project = Project.find()
    version = resolve(project, ref)
    from promptship.lockfile import describe_pins, where_pinned

    pinned = where_pinned(project)[0].get((version.name, version.version), [])
    if as_json:
        emit_json({**describe(version), "pinned": pinned})
        return 0
    from rich.markup import escape

    out = console()
    out.print(f"[bold]{version.ref}[/]  {short(version.sha)}  [dim]{version.path}[/]")
    out.print(f"model: {version.model}")
    out.print(f"pinned: {describe_pins(pinned) or 'nowhere'}")
    if version.params:
        out.print("params: " + ", ".join(f"{k}={v!r}" for k, v in version.params.items()))
    out.print(
        f"output: {version.output['format']}"
        + (" (with schema)" if "schema" in version.output else "")
    )
    if version.description:
        out.print(f"description: {escape(version.description)}")
    for var in version.variables.values():
        detail = "required" if var.required else f"default {var.default!r}"
        out.print(
            f"  var {var.name}: {detail}"
            + (f" - {escape(var.description)}" if var.description else "")
        )
    for message in version.messages:
        out.print(f"\n[bold cyan]{message.role}:[/]")
        out.print(escape(message.content))
    return 0
