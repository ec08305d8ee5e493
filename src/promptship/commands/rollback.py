from __future__ import annotations

from promptship.commands.promote import report
from promptship.project import Project
from promptship.promotion import rollback


def run(name: str, env: str, note: str | None, commit: bool, as_json: bool) -> int:
    report(rollback(Project.find(), name, env, note=note, commit=commit), as_json)
    return 0
