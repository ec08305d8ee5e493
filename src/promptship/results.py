"""What a finished run amounts to: pass rates, regressions, fixes, usage, the gate verdict,
and the evidence record (`docs/formats/eval-result.md`) that `--json` and `--record` share.

With `--repeat N` a case passes on a side only when all N of its repeats pass: a flaky case
is not a passing case. A regression is a case that passes on the baseline and does not pass
(fails or errors) on the candidate; a fix is the reverse.
"""

from __future__ import annotations

import math
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptship.runner import PASS, CaseResult, Outcome, RunPlan

if TYPE_CHECKING:
    from promptship.goldenset import GateCheck
    from promptship.journal import Journal

FORMAT = "promptship.eval-result"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Summary:
    total: int
    passed: int
    failed: int
    errors: int
    pass_rate: float
    by_tag: dict[str, float]
    case_pass_rates: dict[str, float]  # per case id, over its repeats (candidate)
    regressions: list[str]
    fixes: list[str]
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    baseline_pass_rate: float | None

    def to_json(self) -> dict[str, Any]:
        """The evidence `summary` object."""
        return {
            "total": self.total,
            "passed": self.passed,
            "failed": self.failed,
            "errors": self.errors,
            "pass_rate": self.pass_rate,
            "by_tag": self.by_tag,
            "regressions": self.regressions,
            "fixes": self.fixes,
            "latency_p50_ms": self.latency_p50_ms,
            "latency_p95_ms": self.latency_p95_ms,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
        }


@dataclass(frozen=True)
class RunResult:
    run_id: str
    plan: RunPlan
    started_at: str
    finished_at: str
    results: list[CaseResult]
    summary: Summary
    gate: list[GateCheck]
    endpoint: str | None = None

    @property
    def gate_passed(self) -> bool:
        return all(check.passed for check in self.gate)


def summarize(results: list[CaseResult]) -> Summary:
    candidates = [r.candidate for r in results]
    passed = sum(o.status == PASS for o in candidates)
    failed = sum(o.status == "fail" for o in candidates)
    tags = sorted({t for r in results for t in r.tags})
    by_tag = {tag: _rate([r.candidate for r in results if tag in r.tags]) for tag in tags}
    case_rates: dict[str, list[Outcome]] = {}
    baseline_rates: dict[str, list[Outcome]] = {}
    for r in results:
        case_rates.setdefault(r.case_id, []).append(r.candidate)
        if r.baseline is not None:
            baseline_rates.setdefault(r.case_id, []).append(r.baseline)
    regressions = [
        case_id
        for case_id, outcomes in baseline_rates.items()
        if _rate(outcomes) == 1.0 and _rate(case_rates[case_id]) < 1.0
    ]
    fixes = [
        case_id
        for case_id, outcomes in baseline_rates.items()
        if _rate(outcomes) < 1.0 and _rate(case_rates[case_id]) == 1.0
    ]
    latencies = sorted(o.latency_ms for o in candidates if o.latency_ms is not None)
    costs = [o.cost_usd for o in candidates if o.cost_usd is not None]
    baselines = [r.baseline for r in results if r.baseline is not None]
    return Summary(
        total=len(candidates),
        passed=passed,
        failed=failed,
        errors=len(candidates) - passed - failed,
        pass_rate=_rate(candidates),
        by_tag=by_tag,
        case_pass_rates={case_id: _rate(o) for case_id, o in case_rates.items()},
        regressions=regressions,
        fixes=fixes,
        latency_p50_ms=percentile(latencies, 0.50),
        latency_p95_ms=percentile(latencies, 0.95),
        input_tokens=sum(o.input_tokens or 0 for o in candidates),
        output_tokens=sum(o.output_tokens or 0 for o in candidates),
        cost_usd=round(sum(costs), 8) if costs else None,
        baseline_pass_rate=_rate(baselines) if baselines else None,
    )


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of sorted values (p50 of [1, 2, 3, 4] is 2)."""
    if not values:
        return None
    rank = max(1, math.ceil(fraction * len(values)))
    return round(values[rank - 1], 1)


def _rate(outcomes: list[Outcome]) -> float:
    if not outcomes:
        return 0.0
    return round(sum(o.status == PASS for o in outcomes) / len(outcomes), 6)


def to_record(result: RunResult) -> dict[str, Any]:
    """The evidence record: what `--json` prints and `--record` writes."""
    from promptship import __version__

    plan = result.plan
    candidate = plan.candidate
    commit, dirty = git_state(plan.project.root)
    served = sorted({r.candidate.served_model for r in result.results if r.candidate.served_model})
    baseline = None
    if plan.baseline is not None:
        baseline = {
            "version": plan.baseline.version.label,
            "sha256": plan.baseline.version.sha,
            "environment": plan.baseline.environment,
        }
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tool_version": __version__,
        "git_commit": commit,
        "git_dirty": dirty,
        "run_id": result.run_id,
        "started_at": result.started_at,
        "finished_at": result.finished_at,
        "prompt": {
            "name": candidate.version.name,
            "version": candidate.version.label,
            "sha256": candidate.version.sha,
        },
        "golden_set": {"path": plan.golden.path, "sha256": plan.golden.sha},
        "complete": plan.complete,
        "provider": candidate.provider_name,
        "endpoint": result.endpoint,
        "requested_model": candidate.model,
        "served_models": served,
        "params": candidate.version.params,
        "repeat": plan.repeat,
        "baseline": baseline,
        "cases": [_case(r) for r in result.results],
        "summary": result.summary.to_json(),
        "gate": {
            "passed": result.gate_passed,
            "checks": [
                {"rule": c.rule, "expected": c.expected, "actual": c.actual, "passed": c.passed}
                for c in result.gate
            ],
        },
    }


def _case(result: CaseResult) -> dict[str, Any]:
    return {
        "id": result.case_id,
        "tags": list(result.tags),
        "repeat_index": result.repeat_index,
        **result.candidate.to_json(),
        "baseline": result.baseline.to_json() if result.baseline is not None else None,
    }


def result_of(
    plan: RunPlan, journal: Journal, results: list[CaseResult], endpoint: str | None
) -> RunResult:
    summary = summarize(results)
    gate = plan.golden.gate.check(summary.pass_rate, summary.by_tag, summary.regressions)
    return RunResult(
        run_id=journal.run_id,
        plan=plan,
        started_at=str(journal.header.get("started_at") or utc_now()),
        finished_at=utc_now(),
        results=results,
        summary=summary,
        gate=gate,
        endpoint=endpoint,
    )


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def git_state(root: Path) -> tuple[str | None, bool]:
    """(HEAD commit, whether the work tree has changes), or (None, False) outside a repo."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
        if head.returncode != 0:
            return None, False
        status = subprocess.run(
            ["git", "status", "--porcelain"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None, False
    return head.stdout.strip() or None, bool(status.stdout.strip())
