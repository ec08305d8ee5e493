"""Recorded eval results (`promptship.eval-result`): the evidence a promotion points to.

One JSON file per run at `evals/results/<name>/<vN>-<sha12>-<YYYYMMDDTHHMMSSZ>.json`, the
format documented field by field in docs/formats/eval-result.md. A record counts for a
promotion only if it is for the exact version SHA, for the golden set's current SHA,
complete (not narrowed or interrupted) and its gate passed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from promptship import atomic
from promptship.errors import PromptshipError
from promptship.lockformat import SHA_RE, TIME_RE
from promptship.names import NAME_RE, VERSION_RE
from promptship.project import Project
from promptship.prompt import PromptVersion
from promptship.sha import short

FORMAT = "promptship.eval-result"
FORMAT_VERSION = 1
RESULTS_DIR = "results"
STATUSES = ("pass", "fail", "error")

# A tiny schema: a type name (optionally ending in "?" for "or null"), a list `[item]`, or a
# dict of required keys (a key ending in "*" maps any key to that type).
_NUM = "num"
_OUTCOME: dict[str, Any] = {
    "status": "status",
    "output": "str?",
    "served_model": "str?",
    "assertions": [
        {"type": "str", "passed": "bool", "score": "num?", "reason": "str?", "...": "extra"}
    ],
    "latency_ms": "num?",
    "input_tokens": "int?",
    "output_tokens": "int?",
    "cost_usd": "num?",
    "error": "str?",
}
SCHEMA: dict[str, Any] = {
    "format": "str",
    "format_version": "int",
    "tool_version": "str",
    "git_commit": "str?",
    "git_dirty": "bool",
    "run_id": "str",
    "started_at": "time",
    "finished_at": "time",
    "prompt": {"name": "name", "version": "label", "sha256": "sha"},
    "golden_set": {"path": "str", "sha256": "sha"},
    "complete": "bool",
    "provider": "str",
    "endpoint": "str?",
    "requested_model": "str",
    "served_models": ["str"],
    "params": "dict",
    "repeat": "int",
    "baseline": ({"version": "label", "sha256": "sha", "environment": "str?"}, "?"),
    "cases": [
        {
            "id": "str",
            "tags": ["str"],
            "repeat_index": "int",
            **_OUTCOME,
            "baseline": (_OUTCOME, "?"),
        }
    ],
    "summary": {
        "total": "int",
        "passed": "int",
        "failed": "int",
        "errors": "int",
        "pass_rate": _NUM,
        "by_tag": {"*": _NUM},
        "regressions": ["str"],
        "fixes": ["str"],
        "latency_p50_ms": "num?",
        "latency_p95_ms": "num?",
        "input_tokens": "int",
        "output_tokens": "int",
        "cost_usd": "num?",
    },
    "gate": {
        "passed": "bool",
        "checks": [{"rule": "str", "expected": "any", "actual": "any", "passed": "bool"}],
    },
}


def validate(record: Any, shown: str) -> dict[str, Any]:
    """Check `record` against the format; errors name the field path (`cases[3].status`)."""
    _check(record, SCHEMA, "", shown)
    if record["format"] != FORMAT or record["format_version"] != FORMAT_VERSION:
        raise PromptshipError(
            f"not a {FORMAT} format_version {FORMAT_VERSION} record "
            f"(format {record['format']!r}, format_version {record['format_version']!r})",
            where=shown,
            fix="upgrade promptship if a newer one wrote it, or record the eval again",
        )
    assert isinstance(record, dict)
    return record


def result_path(project: Project, record: dict[str, Any]) -> Path:
    """`evals/results/<name>/<vN>-<sha12>-<YYYYMMDDTHHMMSSZ>.json` for this record."""
    prompt = record["prompt"]
    stamp = record["started_at"].replace("-", "").replace(":", "")
    return results_dir(project, prompt["name"]) / (
        f"{prompt['version']}-{short(prompt['sha256'])}-{stamp}.json"
    )


def results_dir(project: Project, name: str) -> Path:
    return project.evals_path / RESULTS_DIR / name


def write(project: Project, record: dict[str, Any]) -> Path:
    """Validate `record` and write it atomically; returns its path (never overwrites a result)."""
    validate(record, "eval result")
    path = result_path(project, record)
    path.parent.mkdir(parents=True, exist_ok=True)
    candidate, n = path, 1
    while candidate.exists():  # two runs started in the same second
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}.json")
    text = json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    atomic.write_atomic(candidate, text.encode("utf-8"))
    return candidate


def load(path: Path, shown: str | None = None) -> dict[str, Any]:
    """Read and validate one recorded result."""
    shown = shown or str(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptshipError(f"cannot read eval result: {exc}", where=shown) from None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PromptshipError(
            f"invalid JSON: {exc.msg}",
            where=f"{shown}:{exc.lineno}",
            fix="record the eval again with `promptship eval NAME@vN --record`",
        ) from None
    return validate(record, shown)


def find_passing(project: Project, version: PromptVersion) -> Path | None:
    """The newest result that counts as evidence for `version`, or None."""
    return _survey(project, version)[0]


def missing_message(project: Project, version: PromptVersion) -> PromptshipError:
    """Why no evidence counts for `version`, as the error a promotion shows."""
    golden_sha = _golden_sha(project, version)
    _, reasons = _survey(project, version, golden_sha)
    detail = f" ({'; '.join(reasons)})" if reasons else ""
    return PromptshipError(
        f"no passing evidence for {version.ref} (sha256:{short(version.sha)}) "
        f"with the current golden set{detail}",
        fix=f"run `promptship eval {version.ref} --record` and commit the result",
    )


def counts(record: dict[str, Any], version_sha: str, golden_sha: str) -> str | None:
    """None if `record` counts as evidence, else why not."""
    if record["prompt"]["sha256"] != version_sha:
        return "for another SHA"
    if record["golden_set"]["sha256"] != golden_sha:
        return "for an older golden set"
    if not record["complete"]:
        return "incomplete run"
    if not record["gate"]["passed"]:
        return "gate failed"
    return None


def _golden_sha(project: Project, version: PromptVersion) -> str:
    from promptship.goldenset import golden_set_path, load_golden_set

    path = golden_set_path(project, version.name)
    if not path.is_file():
        raise PromptshipError(
            f"{version.name} has no golden set ({project.rel(path)}), so no evidence can count "
            f"for {version.ref}",
            fix=f"write {project.rel(path)}, then run `promptship eval {version.ref} --record`",
        )
    return load_golden_set(project, version.name).sha


def _survey(
    project: Project, version: PromptVersion, golden_sha: str | None = None
) -> tuple[Path | None, list[str]]:
    golden_sha = golden_sha or _golden_sha(project, version)
    directory = results_dir(project, version.name)
    tally: dict[str, int] = {}
    best: tuple[str, Path] | None = None
    for path in sorted(directory.glob(f"{version.label}-*.json")):
        try:
            record = load(path, project.rel(path))
        except PromptshipError:
            tally["unreadable"] = tally.get("unreadable", 0) + 1
            continue
        reason = counts(record, version.sha, golden_sha)
        if reason is not None:
            tally[reason] = tally.get(reason, 0) + 1
        elif best is None or record["finished_at"] >= best[0]:
            best = (record["finished_at"], path)
    reasons = [f"{n} {why}" for why, n in tally.items()]
    if not tally and best is None:
        reasons = [f"no results in {project.rel(directory)}/ for this SHA"]
    return (best[1] if best else None), reasons


def _check(value: Any, spec: Any, at: str, shown: str) -> None:
    if isinstance(spec, tuple):  # (spec, "?"): nullable structure
        if value is not None:
            _check(value, spec[0], at, shown)
        return
    if isinstance(spec, list):
        if not isinstance(value, list):
            raise _bad(at, "a list", value, shown)
        for i, item in enumerate(value):
            _check(item, spec[0], f"{at}[{i}]", shown)
        return
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            raise _bad(at, "an object", value, shown)
        if "*" in spec:
            for key, item in value.items():
                _check(item, spec["*"], f"{at}.{key}", shown)
            return
        keys = [k for k in spec if k != "..."]
        missing = [k for k in keys if k not in value]
        if missing:
            raise PromptshipError(
                f"missing field {(at + '.' if at else '') + missing[0]!r}",
                where=shown,
                fix="see docs/formats/eval-result.md",
            )
        if "..." not in spec:
            unknown = sorted(set(value) - set(keys))
            if unknown:
                raise PromptshipError(
                    f"unknown field {(at + '.' if at else '') + unknown[0]!r}",
                    where=shown,
                    fix="see docs/formats/eval-result.md",
                )
        for key in keys:
            _check(value[key], spec[key], f"{at}.{key}" if at else key, shown)
        return
    if not _scalar_ok(value, spec):
        raise _bad(at, _DESCRIBE[spec.rstrip("?")], value, shown)


_DESCRIBE = {
    "str": "text",
    "int": "an integer",
    "num": "a number",
    "bool": "true or false",
    "time": "a UTC time like 2026-11-20T14:32:00Z",
    "sha": "sha256:<64 lowercase hex>",
    "name": "a prompt name",
    "label": "a version like v2",
    "status": "pass, fail or error",
    "dict": "an object",
    "any": "any value",
}
_TEXT_CHECKS: dict[str, re.Pattern[str]] = {
    "time": TIME_RE,
    "sha": SHA_RE,
    "name": NAME_RE,
    "label": VERSION_RE,
}


def _scalar_ok(value: Any, spec: str) -> bool:
    kind = spec.rstrip("?")
    if value is None:
        return spec.endswith("?") or kind == "any"
    if kind == "any":
        return True
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "num":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "dict":
        return isinstance(value, dict)
    if not isinstance(value, str):
        return False
    if kind == "status":
        return value in STATUSES
    pattern = _TEXT_CHECKS.get(kind)
    return pattern is None or pattern.fullmatch(value) is not None


def _bad(at: str, expected: str, value: Any, shown: str) -> PromptshipError:
    text = json.dumps(value)[:60] if not isinstance(value, str) else repr(value[:60])
    return PromptshipError(
        f"field {at or 'record'!r} must be {expected}, got {text}",
        where=shown,
        fix="see docs/formats/eval-result.md",
    )
