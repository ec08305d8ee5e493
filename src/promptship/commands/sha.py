from __future__ import annotations

from promptship.output import emit_json
from promptship.project import Project
from promptship.refs import resolve


def run(ref: str, as_json: bool) -> int:
    version = resolve(Project.find(), ref)
    if as_json:
        emit_json({"name": version.name, "version": version.label, "sha256": version.sha})
    else:
        print(version.sha)
    return 0
