from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from promptship import lockfile
from promptship.environments import Environment, load_environments
from promptship.lockformat import Pin, to_data
from promptship.output import console, emit_json
from promptship.project import Project
from promptship.sha import short


@dataclass(frozen=True)
class Row:
    name: str
    latest: int | None  # None: pinned, but the prompt's folder is gone
    pins: dict[str, Pin | None]  # by environment, in display order
    drafts: list[int]


def collect(project: Project) -> tuple[dict[str, Environment], list[Row]]:
    """What each environment pins for each prompt, and the drafts never promoted.

    A draft is a version newer than every version pinned anywhere (stable or canary).
    """
    environments = load_environments(project)
    pins = lockfile.read(project).pins
    known = set(project.names())
    rows = []
    for name in sorted(known | {n for named in pins.values() for n in named}):
        here = {env: pins.get(env, {}).get(name) for env in environments}
        pinned = [p.version for p in here.values() if p]
        pinned += [p.canary.version for p in here.values() if p and p.canary]
        versions = project.prompt_dir(name).versions if name in known else []
        drafts = [v for v in versions if v > max(pinned, default=0)]
        rows.append(Row(name, versions[-1] if versions else None, here, drafts))
    return environments, rows


def to_json(project: Project, environments: dict[str, Environment], rows: list[Row]) -> Any:
    return {
        "lockfile": project.rel(project.lock_path),
        "environments": [
            {"name": e.name, "requires_evidence": e.requires_evidence, "requires": e.requires}
            for e in environments.values()
        ],
        "prompts": [
            {
                "name": row.name,
                "latest": f"v{row.latest}" if row.latest else None,
                "pins": {env: to_data(pin) if pin else None for env, pin in row.pins.items()},
                "drafts": [f"v{v}" for v in row.drafts],
            }
            for row in rows
        ],
    }


def cell(pin: Pin | None) -> str:
    """`v2 9f2c1a3b4c5d`, plus `+ v3 10% canary` (rich markup)."""
    if pin is None:
        return "-"
    text = f"{pin.label} [dim]{short(pin.sha256)}[/]"
    if pin.canary is not None:
        text += f" + v{pin.canary.version} [yellow]{pin.canary.weight}% canary[/]"
    return text


def run(as_json: bool) -> int:
    project = Project.find()
    environments, rows = collect(project)
    if as_json:
        emit_json(to_json(project, environments, rows))
        return 0
    from rich.markup import escape
    from rich.table import Table

    out = console()
    if not rows:
        out.print("no prompts yet (create one with `promptship new NAME`)")
        return 0
    table = Table(box=None, pad_edge=False)
    for column in ("prompt", *environments, "drafts"):
        table.add_column(column)
    for row in rows:
        cells = [cell(pin) for pin in row.pins.values()]
        drafts = ", ".join(f"v{v}" for v in row.drafts) or "-"
        table.add_row(escape(row.name), *cells, drafts)
    out.print(table)
    return 0
