"""`prompts/<name>/CHANGELOG.md`: one `## vN - YYYY-MM-DD` entry per version, newest first.

```
# support_ticket_triage

## v2 - 2026-11-20
Explicit category definitions.

## v1 - 2026-08-01
Imported from the hardcoded production prompt.
```

`promptship new` writes `stub_entry(...)`; `check` rejects that stub until someone replaces
its text with what changed and why.
"""

from __future__ import annotations

import datetime
import itertools
import re
from dataclasses import dataclass

from promptship.errors import Problem

STUB = "TODO: describe what changed and why."
HEADING_RE = re.compile(r"##\s+v([1-9][0-9]*)(?:\s+-\s+(\S+))?")
_FENCE_RE = re.compile(r"(`{3,}|~{3,})")


@dataclass(frozen=True)
class Entry:
    version: int
    date: str | None
    body: str  # stripped text under the heading
    line: int  # line of the `## vN` heading


@dataclass(frozen=True)
class Changelog:
    title: str | None
    title_line: int | None
    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...]  # headings that do not parse
    last_line: int


def stub_entry(version: int, date: datetime.date) -> str:
    """The entry `promptship new` adds, which `check` rejects until it is written.

    >>> stub_entry(3, datetime.date(2026, 11, 23))
    '## v3 - 2026-11-23\\nTODO: describe what changed and why.\\n'
    """
    return f"## v{version} - {date.isoformat()}\n{STUB}\n"


def parse(text: str, path: str) -> Changelog:
    """Split a changelog into its title and entries; malformed headings become problems."""
    title: str | None = None
    title_line: int | None = None
    entries: list[Entry] = []
    problems: list[Problem] = []
    current: tuple[int, str | None, int] | None = None
    body: list[str] = []
    fence: str | None = None
    lines = text.split("\n")

    def close() -> None:
        if current is not None:
            entries.append(Entry(current[0], current[1], "\n".join(body).strip(), current[2]))

    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        fence_match = _FENCE_RE.match(line.lstrip())
        if fence_match:
            marker = fence_match.group(1)[0]
            fence = None if fence == marker else (fence or marker)
        if fence is None and line.startswith("# ") and title is None and current is None:
            title, title_line = line[2:].strip(), number
            continue
        if fence is None and line.startswith("## "):
            heading = HEADING_RE.fullmatch(line)
            if heading:
                date = heading.group(2)
                if not _valid_date(date):
                    problems.append(_bad_heading(line, True, path, number))
                    date = None
                close()
                current, body = (int(heading.group(1)), date, number), []
                continue
            problems.append(_bad_heading(line, False, path, number))
        body.append(line)
    close()
    last = len(lines) - 1 if len(lines) > 1 and not lines[-1] else len(lines)
    return Changelog(title, title_line, tuple(entries), tuple(problems), max(last, 1))


def check(text: str, path: str, name: str, versions: set[int]) -> list[Problem]:
    """Every rule for one prompt's changelog, given the versions that exist on disk."""
    log = parse(text, path)
    problems = list(log.problems)
    if log.title != name:
        found = f"'# {log.title}'" if log.title is not None else "no '# name' title"
        problems.append(
            Problem(
                path,
                log.title_line or 1,
                f"changelog title should be '# {name}', found {found}",
                f"make the first line '# {name}'",
                "warning",
            )
        )
    seen: dict[int, Entry] = {}
    for entry in log.entries:
        label = f"v{entry.version}"
        if entry.version in seen:
            problems.append(
                Problem(
                    path,
                    entry.line,
                    f"second entry for {label} (the first is on line {seen[entry.version].line})",
                    "merge the two entries into one",
                )
            )
            continue
        seen[entry.version] = entry
        if entry.version not in versions:
            problems.append(
                Problem(
                    path,
                    entry.line,
                    f"entry for {label}, but {name} has no {label}",
                    "remove the entry or correct its version number",
                )
            )
        if not entry.body:
            problems.append(
                Problem(path, entry.line, f"empty entry for {label}", "say what changed and why")
            )
        elif entry.body == STUB:
            problems.append(
                Problem(
                    path,
                    entry.line + 1,
                    f"entry for {label} is still the stub written by `promptship new`",
                    "replace the TODO line with what changed and why",
                )
            )
    problems.extend(_order_problems(log.entries, path))
    for version in sorted(versions - set(seen), reverse=True):
        problems.append(
            Problem(
                path,
                _insertion_line(log, version),
                f"no entry for v{version}",
                f"add '## v{version} - YYYY-MM-DD' with what changed and why, newest first",
            )
        )
    return problems


def missing(folder: str, name: str, versions: set[int]) -> Problem:
    """The problem for a prompt folder without a CHANGELOG.md."""
    newest = max(versions)
    return Problem(
        folder,
        None,
        "no CHANGELOG.md in this prompt folder",
        f"create it with '# {name}' and a '## vN - YYYY-MM-DD' entry per version (newest: v{newest})",
    )


def _order_problems(entries: tuple[Entry, ...], path: str) -> list[Problem]:
    problems = []
    for before, after in itertools.pairwise(entries):
        if after.version > before.version:
            problems.append(
                Problem(
                    path,
                    after.line,
                    f"entry for v{after.version} comes after v{before.version}",
                    "order entries newest first",
                    "warning",
                )
            )
        elif (
            after.version < before.version
            and before.date
            and after.date
            and after.date > before.date
        ):
            problems.append(
                Problem(
                    path,
                    before.line,
                    f"v{before.version} is dated {before.date}, before v{after.version} ({after.date})",
                    "check the dates",
                    "warning",
                )
            )
    return problems


def _insertion_line(log: Changelog, version: int) -> int:
    """Where a missing entry belongs: above the first older entry (newest first)."""
    for entry in log.entries:
        if entry.version < version:
            return entry.line
    return log.last_line


def _valid_date(text: str | None) -> bool:
    if text is None:
        return True
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) is not None


def _bad_heading(line: str, parsed: bool, path: str, number: int) -> Problem:
    if parsed:
        message = f"invalid date in changelog heading {line!r}"
        fix = "write the date as YYYY-MM-DD, e.g. '## v2 - 2026-11-20'"
    else:
        message = f"changelog heading {line!r} is not a version entry"
        fix = "entry headings are '## vN - YYYY-MM-DD' or '## vN'; use '###' for sub-headings"
    return Problem(path, number, message, fix)
