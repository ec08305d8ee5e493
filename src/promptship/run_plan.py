"""From what the user asked (`eval NAME@vN --baseline ... --filter-tag ...`) to a `RunPlan`,
and back from a run's `run.json` header for `--resume`.

The header records the resolved choices (versions and their SHAs, the golden set's SHA, the
selected case ids), so a resumed run does exactly the work the interrupted one planned, and
refuses when a prompt or the golden set changed since.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from promptship.errors import PromptshipError, UsageError
from promptship.goldenset import load_golden_set
from promptship.names import VERSION_RE
from promptship.project import Project
from promptship.prompt import MODEL_RE, PromptVersion
from promptship.refs import resolve
from promptship.runner import CANDIDATE, PASS, RunPlan, Side, parse_shard, select_cases

DEFAULT_BASELINE_ENV = "production"


@dataclass(frozen=True)
class Asked:
    """The `eval` command's choices, as typed."""

    ref: str
    baseline: str | None = None  # None: the production pin, if any; "none": no baseline
    model: str | None = None
    repeat: int = 1
    concurrency: int = 4
    use_cache: bool = True
    ids: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    failed: bool = False
    shard: str | None = None


def build(project: Project, asked: Asked) -> RunPlan:
    if asked.repeat < 1:
        raise UsageError(f"--repeat must be at least 1, got {asked.repeat}")
    if asked.concurrency < 1:
        raise UsageError(f"-j must be at least 1, got {asked.concurrency}")
    if asked.model is not None and not MODEL_RE.fullmatch(asked.model):
        raise UsageError(
            f"invalid --model {asked.model!r}", fix="write provider/model, e.g. local/gemma3-270m"
        )
    candidate = resolve(project, asked.ref)
    golden = load_golden_set(project, candidate.name)
    shard = parse_shard(asked.shard) if asked.shard else None
    only = failed_case_ids(project, candidate.name) if asked.failed else None
    cases = select_cases(golden, ids=asked.ids, tags=asked.tags, only=only, shard=shard)
    baseline = _baseline(project, candidate, asked.baseline)
    model = asked.model
    from promptship.judge import check_judges

    # A judge that cannot be used (no model, same family) fails here, not once per case.
    check_judges(golden, model or candidate.model, project)
    return RunPlan(
        project=project,
        golden=golden,
        candidate=Side(candidate, model or candidate.model),
        baseline=Side(baseline[0], model or baseline[0].model, baseline[1]) if baseline else None,
        cases=cases,
        repeat=asked.repeat,
        concurrency=asked.concurrency,
        use_cache=asked.use_cache,
        complete=not (asked.ids or asked.tags or asked.failed or shard),
        model_override=model,
        filters={
            "ids": list(asked.ids),
            "tags": list(asked.tags),
            "failed": asked.failed,
            "shard": asked.shard,
        },
    )


def _baseline(
    project: Project, candidate: PromptVersion, asked: str | None
) -> tuple[PromptVersion, str | None] | None:
    """(version, environment it came from) or None."""
    if asked is not None and asked.lower() == "none":
        return None
    if asked is not None and VERSION_RE.fullmatch(asked):
        return project.load(candidate.name, int(asked[1:])), None
    from promptship import lockfile

    if asked is None:
        pin = None
        if project.lock_path.is_file():
            pin = lockfile.read(project).pin(DEFAULT_BASELINE_ENV, candidate.name)
        if pin is None or pin.version == candidate.version:
            return None  # nothing to compare with, or production already serves this version
        asked = DEFAULT_BASELINE_ENV
    # pinned_version verifies the pin (and says what to do when there is none)
    number = lockfile.pinned_version(project, asked, candidate.name)
    return project.load(candidate.name, number), asked


def failed_case_ids(project: Project, name: str) -> set[str]:
    """Case ids whose candidate failed or errored in the last run of prompt `name`."""
    from promptship.journal import last_run

    run = last_run(project.root, name)
    if run is None:
        raise UsageError(
            f"--failed: there is no earlier run of {name}", fix="run the whole golden set first"
        )
    return {
        e.case_id for e in run.entries() if e.side == CANDIDATE and e.outcome.get("status") != PASS
    }


def header(plan: RunPlan) -> dict[str, Any]:
    """What `run.json` records about a plan."""
    baseline = None
    if plan.baseline is not None:
        baseline = {
            "version": plan.baseline.version.label,
            "sha256": plan.baseline.version.sha,
            "environment": plan.baseline.environment,
            "model": plan.baseline.model,
        }
    return {
        "prompt": {
            "name": plan.candidate.version.name,
            "version": plan.candidate.version.label,
            "sha256": plan.candidate.version.sha,
            "model": plan.candidate.model,
        },
        "golden_set": {"path": plan.golden.path, "sha256": plan.golden.sha},
        "baseline": baseline,
        "model_override": plan.model_override,
        "filters": plan.filters,
        "complete": plan.complete,
        "repeat": plan.repeat,
        "use_cache": plan.use_cache,
        "cases": [c.id for c in plan.cases],
    }


def from_header(project: Project, saved: dict[str, Any], concurrency: int) -> RunPlan:
    """The plan of an earlier run, checked against the files as they are now."""
    try:
        prompt = saved["prompt"]
        candidate = _same_version(project, prompt["name"], prompt["version"], prompt["sha256"])
        golden = load_golden_set(project, candidate.name)
        if golden.sha != saved["golden_set"]["sha256"]:
            raise PromptshipError(
                f"cannot resume: {golden.path} changed since the run started",
                fix="start a new run (its results would mix two golden sets)",
            )
        base = saved["baseline"]
        baseline = None
        if base is not None:
            version = _same_version(project, candidate.name, base["version"], base["sha256"])
            baseline = Side(version, base["model"], base["environment"])
        return RunPlan(
            project=project,
            golden=golden,
            candidate=Side(candidate, prompt["model"]),
            baseline=baseline,
            cases=[golden.case(case_id) for case_id in saved["cases"]],
            repeat=int(saved["repeat"]),
            concurrency=concurrency,
            use_cache=bool(saved["use_cache"]),
            complete=bool(saved["complete"]),
            model_override=saved["model_override"],
            filters=dict(saved["filters"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PromptshipError(
            f"cannot resume: the run header lacks {exc}", fix="start a new run"
        ) from None


def _same_version(project: Project, name: str, label: str, sha: str) -> PromptVersion:
    version = project.load(name, int(label.removeprefix("v")))
    if version.sha != sha:
        raise PromptshipError(
            f"cannot resume: {version.path} changed since the run started",
            fix=f"start a new run (the run used {label} with SHA {sha[7:19]})",
        )
    return version
