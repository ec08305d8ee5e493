"""What `check` found in each version file, kept between runs in `.promptship/check-cache.json`.

Checking a version file (read, decode, text rules, YAML, Jinja, SHA) costs about half a
millisecond; a repository with thousands of versions would spend seconds re-checking files
that did not change. An entry is reused only if the file's path, mtime (ns) and size match
and the rules are the same code: the cache is dropped whenever the promptship, PyYAML or
Jinja2 sources it depends on change. A file modified in the last second is not cached,
so an edit that keeps the size within one clock tick can never be missed (as git does).
"""

from __future__ import annotations

import contextlib
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
from promptship.state import STATE_DIR, state_dir

FORMAT = 1
FILENAME = "check-cache.json"
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
    def __init__(self, root: Path, entries: dict[str, Any]) -> None:
        self.root = root
        self._old = entries
        self._new: dict[str, Any] = {}
        self._changed = False
        self._now = time.time_ns()

    @classmethod
    def open(cls, root: Path) -> CheckCache:
        """The cache of the project at `root`; empty if missing, unreadable or stale."""
        entries: dict[str, Any] = {}
        try:
            data = json.loads((root / STATE_DIR / FILENAME).read_bytes())
            if data.get("format") == FORMAT and data.get("rules") == rules_fingerprint():
                entries = data["files"]
        except (OSError, ValueError, AttributeError, KeyError, TypeError):
            pass  # a cache is only ever an optimisation
        return cls(root, entries)

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
        data = json.dumps(document).encode("utf-8")
        with contextlib.suppress(OSError):  # a read-only checkout is checked without a cache
            write_atomic(state_dir(self.root) / FILENAME, data, durable=False)


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
