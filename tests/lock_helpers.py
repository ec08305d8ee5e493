"""Helpers for the lockfile tests: real git repositories with controlled dates, and evidence."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from promptship import evidence
from promptship.goldenset import load_golden_set
from promptship.project import Project

TRIAGE = "support_ticket_triage"


def git(root: Path, *args: str, when: str | None = None) -> str:
    """Run git in `root`; `when` (ISO-8601) sets both the author and the committer date."""
    env = {**os.environ}
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when
    done = subprocess.run(
        ["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def init_repo(root: Path, when: str = "2026-11-20T08:00:00Z") -> None:
    """Make `root` a git repository with everything in it committed."""
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Ada Lovelace")
    git(root, "config", "user.email", "ada@example.com")
    git(root, "config", "commit.gpgsign", "false")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "prompts", when=when)


def commit_lock(root: Path, message: str, when: str) -> str:
    git(root, "add", "prompts.lock")
    git(root, "commit", "-q", "-m", message, "--", "prompts.lock", when=when)
    return git(root, "rev-parse", "HEAD")


def record(
    project: Project,
    name: str,
    version: int,
    *,
    passed: bool = True,
    complete: bool = True,
    golden_sha: str | None = None,
    started_at: str = "2026-11-20T10:00:00Z",
) -> Path:
    """Write a valid eval result for `name@v<version>` through `evidence.write`."""
    loaded = project.load(name, version)
    golden = load_golden_set(project, name)
    outcome: dict[str, Any] = {
        "status": "pass" if passed else "fail",
        "output": "billing",
        "served_model": "gpt-4o-mini-2024-07-18",
        "assertions": [
            {"type": "equals", "passed": passed, "score": 1.0 if passed else 0.0, "reason": "ok"}
        ],
        "latency_ms": 420.5,
        "input_tokens": 180,
        "output_tokens": 1,
        "cost_usd": 0.000027,
        "error": None,
    }
    data: dict[str, Any] = {
        "format": evidence.FORMAT,
        "format_version": evidence.FORMAT_VERSION,
        "tool_version": "0.1.0",
        "git_commit": None,
        "git_dirty": False,
        "run_id": f"run-{version}-{started_at}",
        "started_at": started_at,
        "finished_at": started_at.replace("10:00:00", "10:01:00"),
        "prompt": {"name": name, "version": loaded.label, "sha256": loaded.sha},
        "golden_set": {"path": golden.path, "sha256": golden_sha or golden.sha},
        "complete": complete,
        "provider": "openai",
        "endpoint": None,
        "requested_model": "openai/gpt-4o-mini",
        "served_models": ["gpt-4o-mini-2024-07-18"],
        "params": loaded.params,
        "repeat": 1,
        "baseline": None,
        "cases": [
            {
                "id": "billing-refund",
                "tags": ["billing"],
                "repeat_index": 0,
                **outcome,
                "baseline": None,
            }
        ],
        "summary": {
            "total": 1,
            "passed": int(passed),
            "failed": int(not passed),
            "errors": 0,
            "pass_rate": 1.0 if passed else 0.0,
            "by_tag": {"billing": 1.0 if passed else 0.0},
            "regressions": [],
            "fixes": [],
            "latency_p50_ms": 420.5,
            "latency_p95_ms": 420.5,
            "input_tokens": 180,
            "output_tokens": 1,
            "cost_usd": 0.000027,
        },
        "gate": {
            "passed": passed,
            "checks": [
                {
                    "rule": "min_pass_rate",
                    "expected": 1.0,
                    "actual": 1.0 if passed else 0.0,
                    "passed": passed,
                }
            ],
        },
    }
    return evidence.write(project, data)
