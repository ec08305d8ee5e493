"""`promptship check [FILES...]`: one `path:line: message (fix)` per problem on stdout.

This is the pre-commit hook's path, so it imports nothing heavy: no rich, git or SDKs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from promptship.check import check_project
from promptship.errors import Problem, PromptshipError
from promptship.output import emit_json, use_color
from promptship.project import Project

_COLORS = {"error": "\033[31m", "warning": "\033[33m"}


def run(files: list[Path], as_json: bool) -> int:
    project = _find_project(files)
    selected = {path.resolve() for path in files} if files else None
    problems = check_project(project, selected)
    problems += [
        Problem(str(path), None, "no such file; nothing to check there", severity="warning")
        for path in files
        if not path.exists()
    ]
    failed = any(p.severity == "error" for p in problems)
    if as_json:
        emit_json({"ok": not failed, "problems": [p.to_json() for p in problems]})
    else:
        color = use_color(sys.stdout)
        sys.stdout.writelines(_line(p, color) + "\n" for p in problems)
        sys.stdout.flush()
    print(summary(problems, len(files) if files else None), file=sys.stderr)
    return 1 if failed else 0


def summary(problems: list[Problem], file_count: int | None) -> str:
    """`promptship check: 2 errors, 1 warning in 3 files` (the last line, on stderr)."""
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    scope = "the project" if file_count is None else _plural(file_count, "file")
    if not problems:
        return f"promptship check: no problems in {scope}"
    counts = [_plural(errors, "error")] if errors else []
    counts += [_plural(warnings, "warning")] if warnings else []
    return f"promptship check: {', '.join(counts)} in {scope}"


def _line(problem: Problem, color: bool) -> str:
    text = problem.format()
    if not color:
        return text
    location, sep, rest = text.partition(": ")
    return f"\033[1m{location}\033[0m{sep}{_COLORS.get(problem.severity, '')}{rest}\033[0m"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _find_project(files: list[Path]) -> Project:
    """The project around the working directory, else around the first file given.

    pre-commit runs hooks from the git root, which in a monorepo may sit above the project.
    """
    try:
        return Project.find()
    except PromptshipError:
        if not files or os.environ.get("PROMPTSHIP_ROOT"):
            raise
        return Project.find(files[0].resolve().parent)
