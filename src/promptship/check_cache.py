"""What `check` found in each version file, kept between runs in `.promptship/check-cache.json`.

Checking a version file (read, decode, text rules, YAML, Jinja, SHA) costs about half a
millisecond; a repository with thousands of versions would spend seconds re-checking files
that did not change. An entry is reused only if the file's path, mtime (ns) and size match
and the rules are the same code: the cache is dropped whenever the promptship, PyYAML or
Jinja2 sources it depends on change. A file modified in the last second is not cached,
so an edit that keeps the size within one clock tick can never be missed (as git does).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from promptship.errors import Problem

FORMAT = 1
FILENAME = "check-cache.json"
STATE_DIR = ".promptship"
_RACY_NS = 1_000_000_000
# The modules whose code decides what a version file's problems are.
_RULE_MODULES = ("prompt", "strict_yaml", "template", "sha", "text_rules", "check", "names")
_LIBRARIES = ("yaml", "jinja2")


@dataclass(frozen=True)
class Result:
    """A version file's own problems, and its SHA when it parsed."""

    sha: str | None
    problems: tuple[Problem, ...]


class CheckCache:
    def __init__(self, path: Path, entries: dict[str, Any]) -> None:
        self.path = path
        self._old = entries
        self._new: dict[str, Any] = {}
        self._changed = False
        self._now = time.time_ns()

    @classmethod
    def open(cls, root: Path) -> CheckCache:
        """The cache of the project at `root`; empty if missing, unreadable or stale."""
        path = root / STATE_DIR / FILENAME
        entries: dict[str, Any] = {}
        try:
            data = json.loads(path.read_bytes())
            if data.get("format") == FORMAT and data.get("rules") == rules_fingerprint():
                entries = data["files"]
        except (OSError, ValueError, AttributeError, KeyError, TypeError):
            pass  # a cache is only ever an optimisation
        return cls(path, entries)

    def get(self, key: str, stat: os.stat_result) -> Result | None:
        entry = self._old.get(key)
        if entry is None or entry[0] != stat.st_mtime_ns or entry[1] != stat.st_size:
            self._changed = True
            return None
        self._new[key] = entry
        try:
            return Result(entry[2], tuple(Problem(**p) for p in entry[3]))
        except TypeError:
            return None

    def put(self, key: str, stat: os.stat_result, result: Result) -> None:
        if self._now - stat.st_mtime_ns < _RACY_NS:
            return
        problems = [asdict(p) for p in result.problems]
        self._new[key] = [stat.st_mtime_ns, stat.st_size, result.sha, problems]
        self._changed = True

    def save(self) -> None:
        """Write the entries used in this run (files that are gone drop out)."""
        if not self._changed and len(self._new) == len(self._old):
            return
        from promptship.atomic import write_atomic

        document = {"format": FORMAT, "rules": rules_fingerprint(), "files": self._new}
        try:
            if not self.path.parent.is_dir():
                self.path.parent.mkdir()
                # Local state, never committed, even where `init` did not add the ignore rule.
                (self.path.parent / ".gitignore").write_text("*\n", "utf-8")
            write_atomic(self.path, json.dumps(document).encode("utf-8"), durable=False)
        except OSError:
            pass  # a read-only checkout still gets checked, just without the cache


def rules_fingerprint() -> str:
    """Changes whenever the code that produces a file's problems could have changed."""
    package = Path(__file__).parent
    sources = [package / f"{name}.py" for name in _RULE_MODULES]
    for library in _LIBRARIES:
        spec = find_spec(library)
        if spec is not None and spec.origin:
            sources.append(Path(spec.origin))
    parts = [sys.version]
    for source in sources:
        try:
            stat = source.stat()
            parts.append(f"{source}:{stat.st_mtime_ns}:{stat.st_size}")
        except OSError:
            parts.append(f"{source}:missing")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()
