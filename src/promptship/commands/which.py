from __future__ import annotations

import re
import sys
from typing import Any

from promptship import lockfile
from promptship.errors import PromptshipError, UsageError
from promptship.lockformat import Pin
from promptship.output import console, emit_json
from promptship.project import Project

_HEX = re.compile(r"[0-9a-f]{4,64}")


def parse_prefix(text: str) -> str:
    """`sha256:9F2C` -> `9f2c`; at least 4 hex digits."""
    prefix = text.strip().lower().removeprefix("sha256:")
    if not _HEX.fullmatch(prefix):
        raise UsageError(
            f"invalid SHA prefix {text!r}",
            fix="give at least 4 hex digits, with or without 'sha256:' (e.g. 9f2c1a3b4c5d)",
        )
    return prefix


def _pinned(pins: dict[str, dict[str, Pin]]) -> list[dict[str, Any]]:
    """Every stable and canary pin as rows with env, name, version, role, sha256."""
    rows: list[dict[str, Any]] = []
    for env, named in pins.items():
        for name, pin in named.items():
            rows.append(
                {
                    "env": env,
                    "name": name,
                    "version": pin.label,
                    "role": "stable",
                    "sha256": pin.sha256,
                }
            )
            if pin.canary is not None:
                rows.append(
                    {
                        "env": env,
                        "name": name,
                        "version": f"v{pin.canary.version}",
                        "role": "canary",
                        "weight": pin.canary.weight,
                        "sha256": pin.canary.sha256,
                    }
                )
    return rows


def resolve(project: Project, prefix: str) -> dict[str, Any]:
    """The versions, current pins and historic pins of the one SHA starting with `prefix`."""
    versions = []
    for name in project.names():
        for number in project.prompt_dir(name).versions:
            try:
                loaded = project.load(name, number)
            except PromptshipError:
                continue
            versions.append(
                {"name": name, "version": loaded.label, "file": loaded.path, "sha256": loaded.sha}
            )
    now = _pinned(lockfile.read(project).pins)
    past: list[dict[str, Any]] = []
    history_note = None
    try:
        from promptship.history import history

        for event in history(project).events:
            role = {"promote": "stable", "rollback": "stable", "canary": "canary"}.get(event.kind)
            rows = _pinned({event.env: {event.name: event.after}}) if event.after else []
            past.extend({**r, **_when(event.to_json())} for r in rows if r["role"] == role)
    except PromptshipError as exc:
        history_note = exc.message
    shas = sorted(
        {r["sha256"] for r in (*versions, *now, *past) if r["sha256"][7:].startswith(prefix)}
    )
    if not shas:
        raise PromptshipError(
            f"no prompt version, pin or past pin has a SHA starting with {prefix}",
            fix="check the SHA; `promptship list` shows every version's SHA",
        )
    if len(shas) > 1:
        names = {r["sha256"]: f"{r['name']}@{r['version']}" for r in (*past, *now, *versions)}
        listed = ", ".join(f"{s[7:19]} ({names[s]})" for s in shas)
        raise PromptshipError(
            f"SHA prefix {prefix} is ambiguous: {listed}", fix="give more hex digits"
        )
    sha = shas[0]
    return {
        "sha256": sha,
        "versions": [_drop(r) for r in versions if r["sha256"] == sha],
        "pinned_now": [_drop(r) for r in now if r["sha256"] == sha],
        "pinned_in_history": [_drop(r) for r in past if r["sha256"] == sha],
        "history": history_note or "ok",
    }


def _when(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "promoted_at": event["promoted_at"],
        "promoted_by": event["promoted_by"],
        "commit": event["commit"],
    }


def _drop(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "sha256"}


def run(sha_prefix: str, as_json: bool) -> int:
    project = Project.find()
    found = resolve(project, parse_prefix(sha_prefix))
    if as_json:
        emit_json(found)
        return 0
    from rich.markup import escape

    out = console()
    out.print(found["sha256"])
    if not found["versions"]:
        out.print("  no current prompt file has this SHA (a pinned file may have been edited)")
    for v in found["versions"]:
        out.print(escape(f"  {v['name']}@{v['version']}  {v['file']}"))
    for p in found["pinned_now"]:
        role = f"canary {p['weight']}%" if p["role"] == "canary" else "stable"
        out.print(escape(f"  pinned now in {p['env']} as {p['name']}@{p['version']} ({role})"))
    for p in found["pinned_in_history"]:
        commit = p["commit"][:12] if p["commit"] else "uncommitted"
        out.print(
            escape(
                f"  pinned in {p['env']} as {p['name']}@{p['version']} ({p['role']}) "
                f"at {p['promoted_at']} by {p['promoted_by']} ({commit})"
            )
        )
    if found["history"] != "ok":
        print(f"note: history not searched: {found['history']}", file=sys.stderr)
    return 0
