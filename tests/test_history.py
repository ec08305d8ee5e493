"""History and `live --at` on a real git repository with commits at controlled dates.

2026-11-20 (all UTC):
  08:00  prompts committed, no lockfile
  09:00  C1  v1 pinned in dev, staging and production
  10:30  C2  staging v1 -> v2
  11:00  C3  production: canary v2 at 10%
  12:00  C4  production: rollback (canary removed)
  13:00  C5  production v1 -> v2
  14:00  C6  production: rollback v2 -> v1
  14:15  F1  (branch `feature`) staging: refund_handler v18
  14:20  C7  dev v1 -> v2
  15:00  M   merge of `feature`
  then       rag_answer v1 pinned in dev, not committed
"""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import CLI
from lock_helpers import TRIAGE, commit_lock, git, init_repo, record
from promptship.commands.live import parse_time
from promptship.errors import UsageError
from promptship.project import Project

DAY = "2026-11-20"


def at(hhmm: str) -> str:
    return f"{DAY}T{hhmm}:00Z"


@pytest.fixture
def repo(examples: Path, cli: CLI) -> dict[str, str]:
    """The repository above; returns the commit SHAs by label."""
    init_repo(examples, when=at("08:00"))
    (examples / ".gitignore").write_text(".promptship/\nevals/results/\n")
    git(examples, "add", ".gitignore")
    git(examples, "commit", "-q", "-m", "ignore", when=at("08:00"))
    project = Project(examples)
    record(project, TRIAGE, 2)
    shas = {}

    def run(*args: str) -> None:
        result = cli(*args)
        assert result.code == 0, (args, result.err)

    force = ("--force", "--reason", "initial import")
    run("promote", TRIAGE, "v1", "--env", "dev")
    run("promote", TRIAGE, "v1", "--env", "staging", *force)
    run("promote", TRIAGE, "v1", "--env", "production", *force)
    shas["C1"] = commit_lock(examples, "pin v1 everywhere", at("09:00"))
    run("promote", TRIAGE, "v2", "--env", "staging", "--note", "billing fix")
    shas["C2"] = commit_lock(examples, "staging v2", at("10:30"))
    run("promote", TRIAGE, "v2", "--env", "production", "--canary", "10", "--note", "ramp")
    shas["C3"] = commit_lock(examples, "canary", at("11:00"))
    run("rollback", TRIAGE, "--env", "production")
    shas["C4"] = commit_lock(examples, "drop canary", at("12:00"))
    run("promote", TRIAGE, "v2", "--env", "production")
    shas["C5"] = commit_lock(examples, "production v2", at("13:00"))
    run("rollback", TRIAGE, "--env", "production", "--note", "misroutes refunds")
    shas["C6"] = commit_lock(examples, "rollback", at("14:00"))
    git(examples, "checkout", "-q", "-b", "feature")
    run("promote", "refund_handler", "v18", "--env", "staging", *force)
    shas["F1"] = commit_lock(examples, "refund staging", at("14:15"))
    git(examples, "checkout", "-q", "main")
    run("promote", TRIAGE, "v2", "--env", "dev")
    shas["C7"] = commit_lock(examples, "dev v2", at("14:20"))
    git(examples, "merge", "-q", "--no-ff", "-m", "merge feature", "feature", when=at("15:00"))
    shas["M"] = git(examples, "rev-parse", "HEAD")
    run("promote", "rag_answer", "v1", "--env", "dev")
    return shas


def events(cli: CLI, *args: str) -> list[dict[str, object]]:
    result = cli("history", *args, "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


def summary(event: dict[str, object]) -> tuple[object, ...]:
    before, after = event["from"], event["to"]
    return (
        event["env"],
        event["name"],
        event["kind"],
        before and before["version"],  # type: ignore[index]
        after and after["version"],  # type: ignore[index]
    )


def test_history_lists_every_promotion_with_its_commit(repo: dict[str, str], cli: CLI) -> None:
    found = events(cli)
    by_commit: dict[object, list[tuple[object, ...]]] = {}
    for event in found:
        by_commit.setdefault(event["commit"], []).append(summary(event))
    assert by_commit == {
        repo["C1"]: [
            ("dev", TRIAGE, "promote", None, "v1"),
            ("production", TRIAGE, "promote", None, "v1"),
            ("staging", TRIAGE, "promote", None, "v1"),
        ],
        repo["C2"]: [("staging", TRIAGE, "promote", "v1", "v2")],
        repo["C3"]: [("production", TRIAGE, "canary", "v1", "v1")],
        repo["C4"]: [("production", TRIAGE, "canary-removed", "v1", "v1")],
        repo["C5"]: [("production", TRIAGE, "promote", "v1", "v2")],
        repo["C6"]: [("production", TRIAGE, "rollback", "v2", "v1")],
        repo["F1"]: [("staging", "refund_handler", "promote", None, "v18")],
        repo["C7"]: [("dev", TRIAGE, "promote", "v1", "v2")],
        # The merge brought F1's pin but changed nothing itself.
        None: [("dev", "rag_answer", "promote", None, "v1")],
    }
    assert [e["commit"] for e in found][-1] is None  # uncommitted changes come last
    assert found[-1]["uncommitted"] is True and found[-1]["committed_at"] is None
    commits = [e["commit"] for e in found if e["commit"]]
    assert commits.index(repo["C1"]) < commits.index(repo["C6"]) < commits.index(repo["C7"])
    canary = next(e for e in found if e["kind"] == "canary")
    assert canary["to"]["canary"]["weight"] == 10 and canary["note"] == "ramp"  # type: ignore[index]
    assert canary["committed_at"] == at("11:00")
    assert canary["promoted_by"] == "Ada Lovelace <ada@example.com>"
    rollback = next(e for e in found if e["kind"] == "rollback")
    assert rollback["note"] == "misroutes refunds"
    forced = [e for e in found if e["forced_reason"] == "initial import"]
    assert len(forced) == 3


def test_history_filters_by_prompt_and_environment(repo: dict[str, str], cli: CLI) -> None:
    production = events(cli, TRIAGE, "--env", "production")
    assert [e["kind"] for e in production] == [
        "promote",
        "canary",
        "canary-removed",
        "promote",
        "rollback",
    ]
    assert [summary(e) for e in events(cli, "refund_handler")] == [
        ("staging", "refund_handler", "promote", None, "v18")
    ]
    text = cli("history", "--env", "dev")
    assert text.code == 0
    lines = text.out.strip().splitlines()
    assert len(lines) == 3 and "(uncommitted)" in lines[-1]
    assert "v1 (" in lines[1] and "-> v2 (" in lines[1] and repo["C7"][:12] in lines[1]
    assert cli("history", "--env", "qa").code == 1


LIVE = [
    # (environment, moment on DAY, {prompt: (version, (canary version, weight) | None)} | None)
    ("production", "08:30", None),
    ("production", "09:00", {TRIAGE: ("v1", None)}),
    ("production", "10:59:59", {TRIAGE: ("v1", None)}),
    ("production", "11:30", {TRIAGE: ("v1", ("v2", 10))}),
    ("production", "12:30", {TRIAGE: ("v1", None)}),
    ("production", "13:30", {TRIAGE: ("v2", None)}),
    ("production", "14:30", {TRIAGE: ("v1", None)}),
    ("staging", "10:00", {TRIAGE: ("v1", None)}),
    # F1 was committed at 14:15 on a branch: it is live only once merged, at 15:00.
    ("staging", "14:30", {TRIAGE: ("v2", None)}),
    ("staging", "15:00", {TRIAGE: ("v2", None), "refund_handler": ("v18", None)}),
    # The uncommitted rag_answer pin is never live.
    ("dev", "23:59", {TRIAGE: ("v2", None)}),
]


def test_live_at_several_moments(repo: dict[str, str], cli: CLI) -> None:
    for env, moment, expected in LIVE:
        result = cli("live", "--env", env, "--at", f"{DAY}T{moment}Z", "--json")
        assert result.code == 0, result.err
        answer = json.loads(result.out)
        assert answer["uncommitted_changes_ignored"] is True
        if expected is None:
            assert answer["commit"] is None and answer["prompts"] == [], moment
            continue
        served = {
            p["name"]: (
                p["version"],
                p["canary"] and (p["canary"]["version"], p["canary"]["weight"]),
            )
            for p in answer["prompts"]
        }
        assert served == expected, (env, moment)
        version = int(expected[TRIAGE][0][1:])  # type: ignore[index]
        sha = Project(Path.cwd()).load(TRIAGE, version).sha
        assert next(p for p in answer["prompts"] if p["name"] == TRIAGE)["sha256"] == sha


def test_live_says_since_when_and_reads_times_in_any_zone(repo: dict[str, str], cli: CLI) -> None:
    result = cli("live", "--env", "production", "--at", f"{DAY}T15:30:00+02:00", "--json")
    answer = json.loads(result.out)
    assert answer["at"] == at("13:30")
    (served,) = answer["prompts"]
    assert (served["version"], served["live_since"]) == ("v2", at("13:00"))
    assert served["live_since_commit"] == repo["C5"]
    naive = cli("live", "--env", "production", "--at", f"{DAY} 14:30")
    assert naive.code == 0
    assert "has no timezone; read as UTC" in naive.err
    assert "support_ticket_triage  v1  sha256:" in naive.out
    assert f"live since {at('14:00')} ({repo['C6'][:12]})" in naive.out
    assert cli("live", "--env", "production", "--at", "yesterday").code == 2
    assert cli("live", "--env", "prod", "--at", "14:30").code == 1


def test_parse_time_forms() -> None:
    now = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    stamp, note = parse_time("14:32", now)
    assert datetime.fromtimestamp(stamp, UTC) == datetime(2026, 11, 20, 14, 32, tzinfo=UTC)
    assert note is not None and "today in UTC" in note
    assert parse_time("2026-11-20T14:32:00Z", now) == (stamp, None)
    assert parse_time("2026-11-20T16:32:00+02:00", now) == (stamp, None)
    assert parse_time("2026-11-20T14:32", now)[0] == stamp
    with pytest.raises(UsageError):
        parse_time("25:00", now)


def test_history_outside_git_is_a_clear_error(examples: Path, cli: CLI) -> None:
    result = cli("history")
    assert result.code == 1
    assert "not in a git repository" in result.err and "Traceback" not in result.err


def test_which_finds_environments_now_and_in_history(repo: dict[str, str], cli: CLI) -> None:
    v2 = Project(Path.cwd()).load(TRIAGE, 2).sha
    result = cli("which", v2[7:15], "--json")
    assert result.code == 0, result.err
    found = json.loads(result.out)
    assert found["sha256"] == v2
    assert found["versions"] == [
        {"name": TRIAGE, "version": "v2", "file": f"prompts/{TRIAGE}/v2.md"}
    ]
    now = {(p["env"], p["role"]) for p in found["pinned_now"]}
    assert now == {("dev", "stable"), ("staging", "stable")}
    past = {(p["env"], p["role"], p["commit"]) for p in found["pinned_in_history"]}
    assert past == {
        ("staging", "stable", repo["C2"]),
        ("production", "canary", repo["C3"]),
        ("production", "stable", repo["C5"]),
        ("dev", "stable", repo["C7"]),
    }
