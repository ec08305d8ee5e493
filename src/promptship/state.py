"""`.promptship/`: local state (caches, locks, run journals) that is never committed."""

from __future__ import annotations

from pathlib import Path

STATE_DIR = ".promptship"


def state_dir(root: Path) -> Path:
    """`<root>/.promptship`, created on first use with a `.gitignore` that ignores it whole.

    The ignore file keeps it out of `git status` even where `init` did not add the rule.
    """
    directory = root / STATE_DIR
    if not directory.is_dir():
        directory.mkdir(exist_ok=True)
        (directory / ".gitignore").write_text("*\n", "utf-8")
    return directory
