"""`promptship cache stats|clear|prune`: look at and trim the response cache."""

from __future__ import annotations

from promptship.cache import ResponseCache
from promptship.errors import UsageError
from promptship.output import console, emit_json
from promptship.project import Project


def stats(as_json: bool) -> int:
    project = Project.find()
    with ResponseCache.for_project(project.root) as cache:
        found = cache.stats()
    if as_json:
        emit_json(found.to_json())
        return 0
    out = console()
    info = found.to_json()
    out.print(f"cache: {project.rel(cache.path)}")
    out.print(f"entries: {found.entries}")
    out.print(f"size: {_size(found.size_bytes)}")
    if found.entries:
        out.print(f"oldest: {info['oldest']}  newest: {info['newest']}")
        for model, count in found.by_model.items():
            out.print(f"  {model}: {count}")
    return 0


def clear(as_json: bool) -> int:
    project = Project.find()
    with ResponseCache.for_project(project.root) as cache:
        removed = cache.clear()
    return _report(removed, as_json)


def prune(older_than: float, as_json: bool) -> int:
    if older_than < 0:
        raise UsageError(f"--older-than must be 0 or more days, got {older_than}")
    project = Project.find()
    with ResponseCache.for_project(project.root) as cache:
        removed = cache.prune(older_than)
    return _report(removed, as_json)


def _report(removed: int, as_json: bool) -> int:
    if as_json:
        emit_json({"removed": removed})
    else:
        console().print(f"removed {removed} cached response{'' if removed == 1 else 's'}")
    return 0


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    size = n / 1024
    for unit in ("KB", "MB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
