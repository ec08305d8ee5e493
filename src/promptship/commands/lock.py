from __future__ import annotations

from promptship import lockfile
from promptship.output import emit_json
from promptship.project import Project


def run(check: bool, as_json: bool) -> int:
    """Verify prompts.lock: it parses, names known environments, and every pin still hashes."""
    project = Project.find()
    problems = lockfile.check_problems(project, None)
    errors = [p for p in problems if p.severity == "error"]
    if as_json:
        emit_json({"ok": not errors, "problems": [p.to_json() for p in problems]})
        return 1 if errors else 0
    import sys

    for problem in problems:
        print(problem.format(), file=sys.stderr)
    if errors:
        print(f"{len(errors)} problem(s) in {project.rel(project.lock_path)}", file=sys.stderr)
        return 1
    if not check:
        shown = project.rel(project.lock_path)
        if not project.lock_path.exists():
            print(f"no {shown} yet (promote a version with `promptship promote NAME vN --env ENV`)")
        else:
            pins = lockfile.read(project).pins
            count = sum(len(named) for named in pins.values())
            print(f"{shown}: {count} pin(s) in {len(pins)} environment(s), all intact")
    return 0
