"""The per-case eval delta between two versions, from their recorded results.

For each version the newest recorded result for its exact SHA is used (complete or not; the
delta says which). With `--repeat`, a case passes only when every repeat passed, as in a
run's own summary. `diff NAME A B` shows this under "eval".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from promptship.errors import PromptshipError
from promptship.project import Project
from promptship.prompt import PromptVersion


def latest_record(project: Project, version: PromptVersion) -> tuple[Path, dict[str, Any]] | None:
    """The newest readable recorded result for exactly this version's SHA."""
    from promptship import evidence
    from promptship.sha import short

    directory = evidence.results_dir(project, version.name)
    best: tuple[Path, dict[str, Any]] | None = None
    for path in directory.glob(f"{version.label}-{short(version.sha)}-*.json"):
        try:
            record = evidence.load(path, project.rel(path))
        except PromptshipError:
            continue  # `check` reports unreadable results; a diff just skips them
        if record["prompt"]["sha256"] != version.sha:
            continue
        if best is None or record["finished_at"] > best[1]["finished_at"]:
            best = (path, record)
    return best


def case_statuses(record: dict[str, Any]) -> dict[str, str]:
    """Per case id: pass (every repeat passed), error (a repeat errored) or fail."""
    seen: dict[str, list[str]] = {}
    for case in record["cases"]:
        seen.setdefault(case["id"], []).append(case["status"])
    return {
        case_id: "pass"
        if all(s == "pass" for s in statuses)
        else ("error" if "error" in statuses else "fail")
        for case_id, statuses in seen.items()
    }


def eval_delta(project: Project, old: PromptVersion, new: PromptVersion) -> dict[str, Any] | None:
    """None unless recorded results exist for both versions."""
    found_old, found_new = latest_record(project, old), latest_record(project, new)
    if found_old is None or found_new is None:
        return None
    before, after = case_statuses(found_old[1]), case_statuses(found_new[1])
    cases = []
    for case_id in [*after, *(c for c in before if c not in after)]:
        a, b = before.get(case_id), after.get(case_id)
        if a is None:
            change = "added"
        elif b is None:
            change = "removed"
        elif a == "pass" and b != "pass":
            change = "regression"
        elif a != "pass" and b == "pass":
            change = "fix"
        else:
            change = "same"
        cases.append({"id": case_id, "old": a, "new": b, "change": change})
    old_rate = found_old[1]["summary"]["pass_rate"]
    new_rate = found_new[1]["summary"]["pass_rate"]
    return {
        "old": _side(project, found_old),
        "new": _side(project, found_new),
        "same_golden_set": found_old[1]["golden_set"]["sha256"]
        == found_new[1]["golden_set"]["sha256"],
        "pass_rate_delta": round(new_rate - old_rate, 6),
        "regressions": [c["id"] for c in cases if c["change"] == "regression"],
        "fixes": [c["id"] for c in cases if c["change"] == "fix"],
        "cases": cases,
    }


def _side(project: Project, found: tuple[Path, dict[str, Any]]) -> dict[str, Any]:
    path, record = found
    return {
        "version": record["prompt"]["version"],
        "sha256": record["prompt"]["sha256"],
        "file": project.rel(path),
        "finished_at": record["finished_at"],
        "model": record["requested_model"],
        "complete": record["complete"],
        "pass_rate": record["summary"]["pass_rate"],
    }


def format_lines(delta: dict[str, Any]) -> list[str]:
    """The delta as plain lines for a terminal (what `diff` prints under "eval")."""
    old, new = delta["old"], delta["new"]
    lines = [
        f"eval: {old['version']} {old['pass_rate']:.0%} -> {new['version']} {new['pass_rate']:.0%}"
        f" ({delta['pass_rate_delta']:+.0%}; {old['file']} vs {new['file']})"
    ]
    if not delta["same_golden_set"]:
        lines.append("  note: the two results used different golden sets")
    if old["model"] != new["model"]:
        lines.append(f"  note: different models ({old['model']} vs {new['model']})")
    for case in delta["cases"]:
        if case["change"] != "same":
            lines.append(f"  {case['change']}: {case['id']} ({case['old']} -> {case['new']})")
    lines.append(
        f"  regressions: {', '.join(delta['regressions']) or 'none'}; "
        f"fixes: {', '.join(delta['fixes']) or 'none'}"
    )
    return lines
