"""The `promptship` console script: the pre-commit hook's plain `check` skips the CLI framework.

pre-commit runs `promptship check FILE...` on every commit, so its start-up time is felt.
Typer builds a pydantic validator for each parameter it parses (~90 ms per run), more than
the check itself costs, so `check [--json] [FILE...]` with nothing else goes straight to the
command, with errors turned into messages and exit codes by `error_handler`, as for every
command. Any other command line goes through `cli.main`.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> int:
    argv = sys.argv[1:]
    fast = _plain_check(argv)
    if fast is not None:
        from promptship import error_handler
        from promptship.commands import check

        files, as_json = fast
        return error_handler.run(lambda: check.run(files, as_json))
    from promptship.cli import main as cli_main

    return cli_main(argv)


def _plain_check(argv: list[str]) -> tuple[list[Path], bool] | None:
    """`check [--json] [FILE...]` as (files, as_json); None for anything else."""
    if argv[:1] != ["check"]:
        return None
    args = argv[1:]
    if any(arg.startswith("-") and arg != "--json" for arg in args):
        return None
    return [Path(arg) for arg in args if arg != "--json"], "--json" in args
