from __future__ import annotations

import sys
from typing import Any

from promptship.errors import PromptshipError
from promptship.output import console, emit_json
from promptship.project import Project
from promptship.sha import short


def inventory(project: Project) -> list[dict[str, Any]]:
    """Every prompt with its versions and SHAs; a version that does not parse has an error."""
    from promptship.lockfile import where_pinned

    pinned, _ = where_pinned(project)
    rows = []
    for name in project.names():
        versions = []
        for number in project.prompt_dir(name).versions:
            entry: dict[str, Any] = {
                "version": f"v{number}",
                "pinned": pinned.get((name, number), []),
            }
            try:
                loaded = project.load(name, number)
                entry.update(sha256=loaded.sha, file=loaded.path, model=loaded.model)
            except PromptshipError as exc:
                entry["error"] = exc.format()
            versions.append(entry)
        rows.append({"name": name, "latest": versions[-1]["version"], "versions": versions})
    return rows


def run(as_json: bool) -> int:
    project = Project.find()
    rows = inventory(project)
    if as_json:
        emit_json(rows)
        return 0
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    from promptship.lockfile import describe_pins, where_pinned

    warning = where_pinned(project)[1]
    if warning:
        print(f"warning: environments not shown: {warning}", file=sys.stderr)
    for column in ("prompt", "version", "sha", "model", "environments"):
        table.add_column(column)
    for row in rows:
        for i, v in enumerate(reversed(row["versions"])):
            sha = short(v["sha256"]) if "sha256" in v else "[red]invalid[/]"
            table.add_row(
                row["name"] if i == 0 else "",
                v["version"],
                sha,
                v.get("model", ""),
                describe_pins(v["pinned"]),
            )
    if not rows:
        console().print(
            f"no prompts in {project.rel(project.prompts_path)}/ (create one with `promptship new NAME`)"
        )
        return 0
    console().print(table)
    return 0
