"""Run journals: header, append-only lines on disk at once, torn tails, finding runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from promptship.errors import PromptshipError, UsageError
from promptship.journal import Entry, Journal, last_run, list_runs, new_run_id, read_entries

HEADER = {"prompt": {"name": "triage", "version": "v2", "sha256": "sha256:" + "a" * 64}}


def _entry(case_id: str, side: str = "candidate", status: str = "pass") -> Entry:
    return Entry(case_id, 0, side, {"status": status, "output": "x"})


def test_header_and_lines_round_trip(tmp_path: Path) -> None:
    journal = Journal.create(tmp_path, dict(HEADER))
    assert journal.header["format"] == "promptship.run"
    journal.append(_entry("a"))
    journal.append(_entry("a", "baseline", "fail"))
    reopened = Journal.open(tmp_path, journal.run_id)
    assert reopened.header == journal.header
    assert [e.slot for e in reopened.entries()] == [("a", 0, "candidate"), ("a", 0, "baseline")]
    assert reopened.entries()[1].outcome["status"] == "fail"
    # each line is complete on disk the moment append returns
    lines = journal.journal_path.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["case_id"] == "a"


def test_torn_last_line_is_ignored_and_cut_before_the_next_append(tmp_path: Path) -> None:
    journal = Journal.create(tmp_path, dict(HEADER))
    journal.append(_entry("a"))
    with journal.journal_path.open("ab") as handle:
        handle.write(b'{"case_id": "b", "outc')  # SIGKILL mid-write
    assert [e.case_id for e in read_entries(journal.journal_path)] == ["a"]
    reopened = Journal.open(tmp_path, journal.run_id)
    reopened.append(_entry("c"))
    assert [e.case_id for e in reopened.entries()] == ["a", "c"]


def test_a_corrupt_line_in_the_middle_is_an_error(tmp_path: Path) -> None:
    journal = Journal.create(tmp_path, dict(HEADER))
    journal.append(_entry("a"))
    with journal.journal_path.open("ab") as handle:
        handle.write(b"garbage\n")
    journal.append(_entry("b"))
    with pytest.raises(PromptshipError, match=r"journal.jsonl:2: corrupt journal line"):
        journal.entries()


def test_unknown_run_names_recent_ones(tmp_path: Path) -> None:
    journal = Journal.create(tmp_path, dict(HEADER))
    with pytest.raises(UsageError, match=journal.run_id):
        Journal.open(tmp_path, "20990101T000000Z-000000")
    with pytest.raises(UsageError):
        Journal.open(tmp_path, "../x")


def test_last_run_of_a_prompt(tmp_path: Path) -> None:
    first = Journal.create(tmp_path, {**HEADER, "run_id": "20260101T000000Z-aaaaaa"})
    other = {"prompt": {"name": "other", "version": "v1", "sha256": "x"}}
    Journal.create(tmp_path, {**other, "run_id": "20260102T000000Z-bbbbbb"})
    assert list_runs(tmp_path) == ["20260101T000000Z-aaaaaa", "20260102T000000Z-bbbbbb"]
    found = last_run(tmp_path, "triage")
    assert found is not None and found.run_id == first.run_id
    assert last_run(tmp_path, "triage", exclude=first.run_id) is None
    assert last_run(tmp_path, "nobody") is None


def test_run_ids_sort_by_time_and_differ() -> None:
    ids = {new_run_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(len(i) == len("20260101T000000Z-abcdef") for i in ids)


def test_unreadable_header_is_a_clear_error(tmp_path: Path) -> None:
    journal = Journal.create(tmp_path, dict(HEADER))
    (journal.directory / "run.json").write_text("{nope")
    with pytest.raises(PromptshipError, match="start a new run"):
        Journal.open(tmp_path, journal.run_id)
