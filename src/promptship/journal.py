"""Eval run journals: `.promptship/runs/<run_id>/run.json` + `journal.jsonl`.

`run.json` says what the run is (prompt and golden-set SHAs, baseline, model, filters,
repeat, shard, the selected case ids); it is written once, before the first call.
`journal.jsonl` gets one JSON line per finished call (case x repeat index x side), flushed
and fsync'd at once, so Ctrl-C, a crash or SIGKILL loses at most the call in flight. A line
torn by a kill mid-write is dropped when the journal is read back, and cut off before the
next append so it never glues onto a new line.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptship import atomic
from promptship.errors import PromptshipError, UsageError

RUNS_DIR = Path(".promptship") / "runs"
HEADER_FILE = "run.json"
JOURNAL_FILE = "journal.jsonl"
FORMAT = "promptship.run"
FORMAT_VERSION = 1


def new_run_id() -> str:
    """Sortable by start time, unique across concurrent runs: `20261123T194501Z-3f9a1c`."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


def runs_path(root: Path) -> Path:
    return root / RUNS_DIR


@dataclass(frozen=True)
class Entry:
    """One journaled call: which case, repeat and side, and its outcome as JSON."""

    case_id: str
    repeat_index: int
    side: str  # "candidate" or "baseline"
    outcome: dict[str, Any]

    @property
    def slot(self) -> tuple[str, int, str]:
        return (self.case_id, self.repeat_index, self.side)


class Journal:
    """An open run directory: its header and an append-only journal."""

    def __init__(self, directory: Path, header: dict[str, Any]) -> None:
        self.directory = directory
        self.header = header

    @property
    def run_id(self) -> str:
        return str(self.header["run_id"])

    @property
    def journal_path(self) -> Path:
        return self.directory / JOURNAL_FILE

    @classmethod
    def create(cls, root: Path, header: dict[str, Any]) -> Journal:
        run_id = header.get("run_id") or new_run_id()
        header = {"format": FORMAT, "format_version": FORMAT_VERSION, **header, "run_id": run_id}
        directory = runs_path(root) / run_id
        try:
            directory.mkdir(parents=True, exist_ok=False)
            _write_atomic(directory / HEADER_FILE, json.dumps(header, indent=2) + "\n")
            (directory / JOURNAL_FILE).touch()
        except OSError as exc:
            raise PromptshipError(
                f"cannot create the run journal: {exc.strerror}", where=str(directory)
            ) from None
        return cls(directory, header)

    @classmethod
    def open(cls, root: Path, run_id: str) -> Journal:
        """An existing run, for `--resume`; a torn last line is cut off here."""
        directory = runs_path(root) / run_id
        if "/" in run_id or run_id in ("", ".", "..") or not directory.is_dir():
            known = list_runs(root)[-3:]
            raise UsageError(
                f"no run {run_id!r} in {RUNS_DIR}/",
                fix=f"recent runs: {', '.join(known)}" if known else "there are no runs yet",
            )
        header = read_header(directory)
        _drop_torn_tail(directory / JOURNAL_FILE)
        return cls(directory, header)

    def append(self, entry: Entry) -> None:
        line = json.dumps(
            {
                "case_id": entry.case_id,
                "repeat_index": entry.repeat_index,
                "side": entry.side,
                "outcome": entry.outcome,
            },
            ensure_ascii=False,
            sort_keys=True,
        )
        # One write of a whole line, then fsync: the line is on disk before we go on.
        fd = os.open(self.journal_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def entries(self) -> list[Entry]:
        return list(read_entries(self.journal_path))

    def update_header(self, **changes: Any) -> None:
        self.header = {**self.header, **changes}
        _write_atomic(self.directory / HEADER_FILE, json.dumps(self.header, indent=2) + "\n")


def read_header(directory: Path) -> dict[str, Any]:
    path = directory / HEADER_FILE
    try:
        header = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise PromptshipError(
            f"cannot read the run header: {exc}",
            where=str(path),
            fix="this run cannot be resumed; start a new run",
        ) from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise PromptshipError("not a promptship run header", where=str(path), fix="start a new run")
    if header.get("format_version") != FORMAT_VERSION:
        raise PromptshipError(
            f"run format version {header.get('format_version')!r} is not supported",
            where=str(path),
            fix=f"this promptship reads version {FORMAT_VERSION}; start a new run",
        )
    return header


def read_entries(path: Path) -> Iterator[Entry]:
    """Every complete line; an unparseable LAST line (torn write) is skipped."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    lines = data.split(b"\n")
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
            entry = Entry(
                str(item["case_id"]), int(item["repeat_index"]), str(item["side"]), item["outcome"]
            )
        except (ValueError, KeyError, TypeError):
            if number >= len(lines) - 1:  # the last line, maybe without its newline
                return
            raise PromptshipError(
                "corrupt journal line",
                where=f"{path}:{number}",
                fix="this run cannot be resumed; start a new run",
            ) from None
        yield entry


def list_runs(root: Path) -> list[str]:
    """Run ids, oldest first."""
    base = runs_path(root)
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / HEADER_FILE).is_file())


def last_run(root: Path, prompt_name: str, *, exclude: str | None = None) -> Journal | None:
    """The most recent run of this prompt (any version), for `--failed`."""
    for run_id in reversed(list_runs(root)):
        if run_id == exclude:
            continue
        try:
            header = read_header(runs_path(root) / run_id)
        except PromptshipError:
            continue
        if header.get("prompt", {}).get("name") == prompt_name:
            return Journal(runs_path(root) / run_id, header)
    return None


def _drop_torn_tail(path: Path) -> None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        path.touch()
        return
    if data and not data.endswith(b"\n"):
        with path.open("r+b") as handle:
            handle.truncate(data.rfind(b"\n") + 1)
            handle.flush()
            os.fsync(handle.fileno())


def _write_atomic(path: Path, text: str) -> None:
    atomic.write_atomic(path, text.encode("utf-8"))
