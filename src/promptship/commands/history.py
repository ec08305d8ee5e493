from __future__ import annotations

import sys

from promptship.history import Event, history
from promptship.output import console, emit_json
from promptship.project import Project
from promptship.sha import short


def run(name: str | None, env: str | None, as_json: bool) -> int:
    project = Project.find()
    if name is not None:
        project.prompt_dir(name)
    if env is not None:
        from promptship.environments import get_environment

        get_environment(project, env)
    found = history(project, name, env)
    for warning in found.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if as_json:
        emit_json([event.to_json() for event in found.events])
        return 0
    from rich.markup import escape

    out = console()
    if not found.events:
        out.print("no promotions in the lockfile's history yet")
        return 0
    for event in found.events:
        out.print(escape(line(event)))
    return 0


def line(event: Event) -> str:
    """`when  env  name  kind  from -> to  by  commit  "note"` for one event."""
    detail = event.detail
    when = detail.promoted_at if detail else (event.commit.time if event.commit else "")
    parts = [
        when,
        event.env,
        event.name,
        event.kind,
        f"{_side(event.before)} -> {_side(event.after)}",
        detail.promoted_by if detail else (event.commit.author if event.commit else ""),
        event.commit.sha[:12] if event.commit else "(uncommitted)",
    ]
    text = "  ".join(parts)
    if detail and detail.forced_reason:
        text += f"  forced: {detail.forced_reason}"
    if detail and detail.note:
        text += f'  "{detail.note}"'
    return text


def _side(pin: object) -> str:
    from promptship.lockformat import Pin

    if not isinstance(pin, Pin):
        return "none"
    text = f"{pin.label} ({short(pin.sha256)})"
    if pin.canary is not None:
        text += f" + canary v{pin.canary.version} {pin.canary.weight}%"
    return text
