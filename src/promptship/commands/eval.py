"""`promptship eval NAME[@vN]`: run the golden set, compare with the baseline, gate."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

from promptship.errors import PromptshipError, UsageError
from promptship.journal import Journal
from promptship.output import console, emit_json, err_console
from promptship.project import Project
from promptship.run_plan import Asked, build, from_header, header
from promptship.runner import Progress, RunPlan, execute


def run(
    ref: str | None,
    *,
    baseline: str | None = None,
    model: str | None = None,
    jobs: int = 4,
    repeat: int | None = None,
    no_cache: bool = False,
    record: bool = False,
    resume: str | None = None,
    shard: str | None = None,
    filter_ids: list[str] | None = None,
    filter_tags: list[str] | None = None,
    failed: bool = False,
    as_json: bool = False,
    junit: Path | None = None,
    markdown: Path | None = None,
) -> int:
    from promptship.results import to_record, utc_now

    project = Project.find()
    if resume is not None:
        chosen = {
            "--baseline": baseline,
            "--model": model,
            "--repeat": repeat,
            "--no-cache": no_cache or None,
            "--shard": shard,
            "--filter-id": filter_ids or None,
            "--filter-tag": filter_tags or None,
            "--failed": failed or None,
        }
        clash = [flag for flag, value in chosen.items() if value is not None]
        if clash:
            raise UsageError(
                f"--resume reuses the run's own settings; {clash[0]} cannot change them",
                fix=f"drop {clash[0]}, or start a new run",
            )
        journal = Journal.open(project.root, resume)
        plan = from_header(project, journal.header, jobs)
        if ref is not None and ref.partition("@")[0] != plan.candidate.version.name:
            raise UsageError(
                f"run {resume} is an eval of {plan.candidate.version.ref}, not {ref}",
                fix=f"run `promptship eval --resume {resume}`",
            )
    else:
        if ref is None:
            raise UsageError(
                "missing NAME[@vN]", fix="e.g. promptship eval support_ticket_triage@v2"
            )
        asked = Asked(
            ref=ref,
            baseline=baseline,
            model=model,
            repeat=1 if repeat is None else repeat,
            concurrency=jobs,
            use_cache=not no_cache,
            ids=list(filter_ids or []),
            tags=list(filter_tags or []),
            failed=failed,
            shard=shard,
        )
        plan = build(project, asked)
        journal = Journal.create(project.root, {**header(plan), "started_at": utc_now()})

    try:
        with _progress_bar(plan, enabled=not as_json) as progress:
            result = execute(plan, journal, progress)
    except KeyboardInterrupt:
        done = len(journal.entries())
        err_console().print(
            f"interrupted: {done} of {plan.total_calls} calls are journaled; "
            f"finish with `promptship eval --resume {journal.run_id}`",
            markup=False,
        )
        raise

    evidence = to_record(result)
    if record:
        from promptship import evidence as evidence_module

        path = evidence_module.write(project, evidence)
        err_console().print(f"recorded {project.rel(path)}", markup=False)
    if junit is not None:
        from promptship.report import junit_xml

        _write(junit, junit_xml(result))
    if markdown is not None:
        from promptship.report import markdown as markdown_report

        _write(markdown, markdown_report(result).encode("utf-8"))
    if as_json:
        emit_json(evidence)
    else:
        from promptship.report import print_terminal

        print_terminal(result, console())
    return 0 if result.gate_passed else 1


@contextlib.contextmanager
def _progress_bar(plan: RunPlan, *, enabled: bool) -> Iterator[Progress | None]:
    """A live bar on a terminal (never under --json, never when piped)."""
    out = console()
    if not enabled or not sys.stdout.isatty() or not out.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    label = f"eval {plan.candidate.version.ref}"
    with Bar(
        f"[bold]{label}[/]",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=plan.total_calls)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise PromptshipError(f"cannot write report: {exc.strerror}", where=str(path)) from None
