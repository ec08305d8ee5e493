"""`promptship judge calibrate FILE`: agreement between judge scores and human labels."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from promptship import calibration
from promptship.errors import PromptshipError, UsageError
from promptship.output import console, emit_json


def calibrate(
    file: Path,
    *,
    model: str | None,
    rubric: str | None,
    jobs: int,
    no_cache: bool,
    min_kappa: float | None,
    as_json: bool,
) -> int:
    if jobs < 1:
        raise UsageError(f"-j must be at least 1, got {jobs}")
    if min_kappa is not None and not -1 <= min_kappa <= 1:
        raise UsageError(f"--min-kappa must be between -1 and 1, got {min_kappa}")
    items = calibration.load_items(file, str(file))
    judge_model = None
    judged_now = requests = 0
    invalid: dict[str, str] = {}
    if any(item.judge is None for item in items):
        judge_model, judged, requests = _judge(items, model, rubric, jobs, no_cache)
        items, judged_now, invalid = judged.items, judged.judged, judged.invalid
    if not items:
        raise PromptshipError(
            "the judge gave no valid score for any item",
            where=str(file),
            fix="try a stronger judge model (--model)",
        )
    human = [item.human for item in items]
    judge = [item.judge for item in items if item.judge is not None]
    result = calibration.agreement(human, judge)
    passed = min_kappa is None or (
        result.cohen_kappa is not None and result.cohen_kappa >= min_kappa
    )
    report: dict[str, Any] = {
        "file": str(file),
        "judge_model": judge_model,
        "judged_now": judged_now,
        "judge_requests": requests,  # calls the cache did not answer
        "invalid": invalid,
        **result.to_json(),
        "confusion": [
            {"human": _number(h), "judge": _number(j), "count": count}
            for (h, j), count in sorted(calibration.confusion(human, judge).items())
        ],
        "min_kappa": min_kappa,
        "passed": passed,
    }
    if as_json:
        emit_json(report)
    else:
        _print(report)
    return 0 if passed else 1


def _judge(
    items: list[calibration.Item],
    model: str | None,
    rubric: str | None,
    jobs: int,
    no_cache: bool,
) -> tuple[str, calibration.Judged, int]:
    from promptship.judge import CONFIG_EXAMPLE, judge_config
    from promptship.project import Project
    from promptship.prompt import MODEL_RE

    project = Project.find()
    chosen = model or judge_config(project).model
    if chosen is None:
        raise UsageError(
            "some items have no judge score, and no judge model is set",
            fix=f"pass --model provider/name or set {CONFIG_EXAMPLE}",
        )
    if not MODEL_RE.fullmatch(chosen):
        raise UsageError(f"--model must look like 'provider/name', got {chosen!r}")

    from promptship.cache import ResponseCache
    from promptship.gateway import Gateway

    async def go(gateway: Gateway) -> calibration.Judged:
        try:
            return await calibration.judge_missing(
                items, gateway.generate, chosen, rubric=rubric, project=project, jobs=jobs
            )
        finally:
            await gateway.aclose()

    with ResponseCache.for_project(project.root) as cache:
        gateway = Gateway(project, cache, use_cache=not no_cache, concurrency=jobs)
        judged = asyncio.run(go(gateway))
    return chosen, judged, gateway.requests


def _number(value: float) -> float | int:
    return int(value) if value.is_integer() else value


def _fmt(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3f}"


def _print(report: dict[str, Any]) -> None:
    out = console()
    if report["judge_model"]:
        out.print(f"judged now: {report['judged_now']} item(s) with {report['judge_model']}")
    for item_id, reason in report["invalid"].items():
        out.print(f"  item {item_id}: left out, judge returned invalid output: {reason}")
    out.print(f"items compared:   {report['n']}")
    out.print(f"exact agreement:  {report['exact_agreement']:.1%}")
    out.print(f"Cohen's kappa:    {_fmt(report['cohen_kappa'])}")
    out.print(f"weighted kappa:   {_fmt(report['weighted_kappa'])} (quadratic)")
    out.print(f"Spearman's rho:   {_fmt(report['spearman_rho'])}")
    out.print(
        f"mean score:       human {report['mean_human']:.2f}, judge {report['mean_judge']:.2f}"
    )
    out.print(
        "human -> judge:   "
        + ", ".join(f"{c['human']:g}->{c['judge']:g} x{c['count']}" for c in report["confusion"])
    )
    if report["min_kappa"] is not None:
        verdict = "ok" if report["passed"] else "BELOW"
        out.print(f"kappa {verdict} the minimum {report['min_kappa']:g}")
