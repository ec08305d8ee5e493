"""The run engine against the real llama.cpp server, through a counting proxy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from eval_project import ALL_CASES, make_project
from fault_proxy import FaultProxy, ok, status
from promptship.errors import PromptshipError, UsageError
from promptship.journal import Journal
from promptship.project import Project
from promptship.providers.llama_server import LocalServer
from promptship.results import RunResult, percentile, to_record
from promptship.run_plan import Asked, build, from_header, header
from promptship.runner import RunAborted, execute, parse_shard, select_cases, shard_of


@pytest.fixture
def proxy(llama_server: LocalServer) -> Iterator[FaultProxy]:
    with FaultProxy(llama_server.base_url) as running:
        yield running


@pytest.fixture
def project(tmp_path: Path, proxy: FaultProxy) -> Project:
    return Project(make_project(tmp_path / "p", proxy.url))


def run(project: Project, **asked: object) -> RunResult:
    plan = build(project, Asked(**{"ref": "triage@v2", "concurrency": 2, **asked}))  # type: ignore[arg-type]
    journal = Journal.create(project.root, {**header(plan), "started_at": "2026-11-23T00:00:00Z"})
    return execute(plan, journal)


def statuses(result: RunResult) -> dict[str, tuple[str, str | None]]:
    return {
        r.case_id: (r.candidate.status, r.baseline.status if r.baseline else None)
        for r in result.results
    }


def test_baseline_comparison_and_a_cached_rerun(project: Project, proxy: FaultProxy) -> None:
    progress: list[tuple[int, int]] = []
    plan = build(project, Asked("triage@v2", baseline="v1", concurrency=2))
    journal = Journal.create(project.root, header(plan))
    result = execute(plan, journal, lambda done, total: progress.append((done, total)))

    got = statuses(result)
    assert got["always"] == ("pass", "pass")
    assert got["never"] == ("fail", "fail")
    assert got["short"] == ("fail", "pass")
    assert got["no-vars"] == ("pass", "error")
    assert "legacy" in (result.results[3].baseline.error or "")  # type: ignore[union-attr]
    s = result.summary
    assert s.regressions == ["short"] and s.fixes == ["no-vars"]
    assert (s.total, s.passed, s.failed, s.errors) == (10, 8, 2, 0)
    assert s.pass_rate == 0.8 and s.by_tag == {"bulk": 1.0, "core": 0.5, "length": 0.5}
    assert s.baseline_pass_rate == 0.8
    assert s.latency_p50_ms is not None and s.latency_p95_ms >= s.latency_p50_ms  # type: ignore[operator]
    assert s.output_tokens > 10 and s.cost_usd is None  # no price for a configured server
    gate = {c.rule: c.passed for c in result.gate}
    assert gate == {"min_pass_rate": True, "by_tag:core": True, "no_regressions": False}
    assert not result.gate_passed
    first = result.results[0]
    assert first.candidate.served_model == "gemma3-270m" and first.candidate.output is not None
    assert first.candidate.latency_ms and first.candidate.input_tokens
    assert first.baseline is not None and first.baseline.output_tokens == 1
    assert progress[0] == (0, 20) and progress[-1] == (20, 20)
    assert proxy.count == 19  # one request per call; v1 could not render no-vars

    before = proxy.count
    again = run(project, baseline="v1")
    assert proxy.count == before  # every answer came from the cache
    assert statuses(again) == got
    assert all(r.candidate.cached for r in again.results)
    assert [r.candidate.output for r in again.results] == [
        r.candidate.output for r in result.results
    ]

    fresh = run(project, baseline="v1", use_cache=False, ids=["always"])
    assert proxy.count == before + 2 and not fresh.results[0].candidate.cached


def test_record_matches_the_evidence_format(project: Project) -> None:
    from promptship import evidence

    result = run(project, baseline="v1", tags=["core"])
    record = to_record(result)
    assert evidence.validate(record, "test") == record
    assert record["complete"] is False and record["repeat"] == 1
    assert record["baseline"]["version"] == "v1" and record["baseline"]["environment"] is None
    assert [c["id"] for c in record["cases"]] == ["always", "never"]
    assert record["served_models"] == ["gemma3-270m"]
    assert record["requested_model"] == "llama/gemma3-270m" and record["provider"] == "llama"


def test_repeat_gives_per_case_pass_rates(project: Project, proxy: FaultProxy) -> None:
    result = run(project, baseline="none", repeat=3, ids=["always", "never"])
    assert [(r.case_id, r.repeat_index) for r in result.results] == [
        ("always", 0),
        ("always", 1),
        ("always", 2),
        ("never", 0),
        ("never", 1),
        ("never", 2),
    ]
    assert result.summary.case_pass_rates == {"always": 1.0, "never": 0.0}
    assert proxy.count == 6  # the repeat index is part of the cache key


def test_failed_reruns_what_failed_last_time(project: Project) -> None:
    with pytest.raises(UsageError, match="no earlier run"):
        build(project, Asked("triage@v2", failed=True))
    run(project, baseline="v1")
    plan = build(project, Asked("triage@v2", failed=True))
    assert [c.id for c in plan.cases] == ["never", "short"] and not plan.complete


def test_shards_partition_the_cases_stably(project: Project) -> None:
    golden = build(project, Asked("triage@v2")).golden
    shards = [[c.id for c in select_cases(golden, shard=(i, 3))] for i in (1, 2, 3)]
    assert sorted(i for shard in shards for i in shard) == sorted(ALL_CASES)
    # pinned: the same case lands in the same shard on every machine and in every release
    assert [shard_of(c, 3) for c in ("always", "never", "short", "no-vars")] == [2, 1, 1, 3]
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/4", "5/4", "a/b", "3"):
        with pytest.raises(UsageError):
            parse_shard(bad)


def test_filters_reject_unknown_ids_and_tags(project: Project) -> None:
    with pytest.raises(PromptshipError, match="no case 'nope'"):
        build(project, Asked("triage@v2", ids=["nope"]))
    with pytest.raises(UsageError, match="tag 'nope'"):
        build(project, Asked("triage@v2", tags=["nope"]))
    with pytest.raises(UsageError, match="--model"):
        build(project, Asked("triage@v2", model="gemma"))


def test_auth_error_aborts_the_run_with_the_fix(project: Project, proxy: FaultProxy) -> None:
    proxy.plan = [status(401, body='{"error": {"message": "invalid api key"}}')]
    plan = build(project, Asked("triage@v2", baseline="none", concurrency=1))
    journal = Journal.create(project.root, header(plan))
    with pytest.raises(RunAborted) as caught:
        execute(plan, journal)
    assert "invalid api key" in str(caught.value) or "401" in str(caught.value)
    assert "--resume" not in str(caught.value)  # nothing finished: rerunning is the fix
    assert proxy.count == 1  # no retry for auth errors, and the run stopped at once


def test_an_abort_after_finished_calls_names_the_resume_command(
    project: Project, proxy: FaultProxy
) -> None:
    proxy.plan = [ok(), status(401, body='{"error": {"message": "invalid api key"}}')]
    plan = build(project, Asked("triage@v2", baseline="none", concurrency=1))
    journal = Journal.create(project.root, header(plan))
    with pytest.raises(RunAborted) as caught:
        execute(plan, journal)
    assert f"--resume {journal.run_id}" in str(caught.value)
    assert proxy.count == 2 and len(journal.entries()) == 1


def test_retries_exhausted_is_an_error_not_a_fail(project: Project, proxy: FaultProxy) -> None:
    proxy.plan = [status(503)] * 5
    result = run(project, baseline="none", concurrency=1, ids=["always", "never"])
    always = result.results[0].candidate
    assert always.status == "error" and "gave up after 5 attempts" in (always.error or "")
    assert result.results[1].candidate.status == "fail"
    assert (result.summary.errors, result.summary.failed) == (1, 1)


def test_resume_refuses_when_the_prompt_or_golden_set_changed(project: Project) -> None:
    plan = build(project, Asked("triage@v2", baseline="v1"))
    journal = Journal.create(project.root, header(plan))
    assert [c.id for c in from_header(Project(project.root), journal.header, 1).cases] == ALL_CASES
    v2 = project.root / "prompts" / "triage" / "v2.md"
    v2.write_text(v2.read_text().replace("max_tokens: 12", "max_tokens: 13"))
    with pytest.raises(PromptshipError, match=r"v2.md changed since the run started"):
        from_header(Project(project.root), journal.header, 1)
    v2.write_text(v2.read_text().replace("max_tokens: 13", "max_tokens: 12"))
    golden = project.root / "evals" / "triage.yaml"
    golden.write_text(golden.read_text().replace("min_pass_rate: 0.5", "min_pass_rate: 0.6"))
    with pytest.raises(PromptshipError, match=r"triage.yaml changed since the run started"):
        from_header(Project(project.root), journal.header, 1)


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([1, 2, 3, 4], 0.5) == 2
    assert percentile([float(i) for i in range(1, 101)], 0.95) == 95


def test_judge_calls_are_cached_and_retried_like_any_call(
    project: Project, proxy: FaultProxy
) -> None:
    root = project.root
    (root / "prompts" / "judged").mkdir()
    (root / "prompts" / "judged" / "v1.md").write_text(ECHO_PROMPT)
    (root / "prompts" / "judged" / "CHANGELOG.md").write_text("# judged\n## v1\nFirst.\n")
    (root / "evals" / "judged.yaml").write_text(JUDGED_SET)
    with (root / "pyproject.toml").open("a") as config:  # short verdicts fit the test server
        config.write("[tool.promptship.judge]\nparams = {temperature = 0, max_tokens = 96}\n")
    proxy.plan = [ok(), status(503)]  # the judge's first call is retried
    plan = build(Project(root), Asked("judged@v1", baseline="none", concurrency=1))
    result = execute(plan, Journal.create(root, header(plan)))
    verdict = result.results[0].candidate.assertions[0]
    assert verdict["type"] == "judge" and verdict["reason"]
    assert result.results[0].candidate.status in ("pass", "fail")  # scored, not an error
    asked = proxy.count
    assert asked >= 3  # the answer, a 503, and the judge's call(s)

    again = execute(plan, Journal.create(root, header(plan)))
    assert proxy.count == asked  # the answer and the judge's verdict both came from the cache
    assert again.results[0].candidate.assertions == result.results[0].candidate.assertions


def test_an_unusable_judge_fails_before_any_call(project: Project, proxy: FaultProxy) -> None:
    root = project.root
    (root / "prompts" / "judged").mkdir()
    (root / "prompts" / "judged" / "v1.md").write_text(ECHO_PROMPT)
    (root / "evals" / "judged.yaml").write_text(JUDGED_SET.replace(", allow_same_family: true", ""))
    with pytest.raises(PromptshipError, match="same model family"):
        build(Project(root), Asked("judged@v1", baseline="none"))
    assert proxy.count == 0


ECHO_PROMPT = """---
model: llama/gemma3-270m
params: {temperature: 0, max_tokens: 4}
---
user:
Say hello.
"""

JUDGED_SET = """prompt: judged
cases:
  - id: polite
    assert:
      - {type: judge, rubric: 'The answer is a greeting', model: llama/gemma3-270m, allow_same_family: true}
gate: {min_pass_rate: 0.0}
"""
