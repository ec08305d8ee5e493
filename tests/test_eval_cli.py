"""`promptship eval` end to end against the real llama.cpp server."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import CLI
from eval_project import ALL_CASES, make_project
from fault_proxy import FaultProxy, ok, stall, status
from promptship import evidence
from promptship.goldenset import load_golden_set
from promptship.journal import list_runs, read_entries, runs_path
from promptship.project import Project
from promptship.providers.llama_server import LocalServer

SECRET = "sk-test-SECRET123-do-not-leak-9f8e7d"


@pytest.fixture
def proxy(llama_server: LocalServer) -> Iterator[FaultProxy]:
    with FaultProxy(llama_server.base_url) as running:
        yield running


@pytest.fixture
def root(tmp_path: Path, proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = make_project(tmp_path / "p", proxy.url)
    monkeypatch.chdir(project)
    monkeypatch.delenv("PROMPTSHIP_ROOT", raising=False)
    return project


def test_gate_exit_code_json_junit_markdown(root: Path, cli: CLI, tmp_path: Path) -> None:
    junit, markdown = tmp_path / "out" / "junit.xml", tmp_path / "out" / "report.md"
    result = cli(
        "eval", "triage@v2", "--baseline", "v1", "-j", "2", "--json",
        "--junit", str(junit), "--markdown", str(markdown),
    )  # fmt: skip
    assert result.code == 1, result.err  # the gate forbids the regression on 'short'
    record = json.loads(result.out)  # stdout is nothing but the JSON record
    assert evidence.validate(record, "stdout") == record
    assert record["summary"]["regressions"] == ["short"]
    assert record["summary"]["fixes"] == ["no-vars"]
    assert record["gate"]["passed"] is False and record["complete"] is True

    suites = ET.parse(junit).getroot()
    cases = {c.get("name"): c for c in suites.iter("testcase")}
    assert list(cases) == ALL_CASES
    assert cases["never"].find("failure") is not None
    assert cases["always"].find("failure") is None and cases["always"].find("error") is None
    suite = suites.find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("failures")) == ("10", "2")

    text = markdown.read_text()
    assert "❌ gate failed" in text and "| `short` | ❌ fail" in text
    assert "regressions: short" in text and "fixes: no-vars" in text

    terminal = cli("eval", "triage@v2", "--baseline", "v1")
    assert terminal.code == 1
    assert "regressions: short" in terminal.out and "gate FAILED" in terminal.out
    assert "FAIL no_regressions" in terminal.out


def test_errors_in_junit_are_errors_not_failures(
    root: Path, cli: CLI, proxy: FaultProxy, tmp_path: Path
) -> None:
    proxy.plan = [status(500)] * 5
    junit = tmp_path / "j.xml"
    result = cli(
        "eval", "triage@v2", "--baseline", "none", "-j", "1", "--filter-id", "always",
        "--junit", str(junit),
    )  # fmt: skip
    assert result.code == 1
    case = ET.parse(junit).getroot().find("testsuite/testcase")
    assert case is not None and case.find("error") is not None and case.find("failure") is None


def test_record_writes_evidence_that_counts_only_when_complete(root: Path, cli: CLI) -> None:
    project = Project(root)
    version = project.load("echo", 1)
    narrowed = cli("eval", "echo", "--filter-id", "one", "--record")
    assert narrowed.code == 0, narrowed.err
    assert evidence.find_passing(project, version) is None  # narrowed: complete is false

    result = cli("eval", "echo@v1", "--record", "--json")
    assert result.code == 0, result.err
    found = evidence.find_passing(project, version)
    assert found is not None and found.parent == root / "evals" / "results" / "echo"
    record = evidence.load(found)
    assert record == json.loads(result.out)
    assert record["complete"] is True and record["gate"]["passed"] is True
    assert record["prompt"]["sha256"] == version.sha
    assert record["git_commit"] is None and record["git_dirty"] is False  # not a git repo


def test_sigkill_then_resume_runs_every_call_exactly_once(
    root: Path, cli: CLI, proxy: FaultProxy
) -> None:
    # Four calls answer, then the fifth stalls: the run is surely mid-way when killed.
    proxy.plan = [ok()] * 4 + [stall(20)]
    child = subprocess.Popen(
        [sys.executable, "-m", "promptship", "eval", "triage@v2", "--baseline", "v1", "-j", "1"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        journal = _wait_for_journal(root, lines=4, child=child)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    run_id = journal.parent.name
    killed_with = len(list(read_entries(journal)))
    assert 4 <= killed_with < 20

    proxy.plan = []
    before = proxy.count
    result = cli("eval", "--resume", run_id, "--json")
    assert result.code == 1, result.err  # the same gate verdict as an uninterrupted run
    slots = Counter(e.slot for e in read_entries(journal))
    assert len(slots) == 20 and set(slots.values()) == {1}
    record = json.loads(result.out)
    assert record["run_id"] == run_id and [c["id"] for c in record["cases"]] == ALL_CASES
    assert record["summary"]["regressions"] == ["short"]
    assert proxy.count - before <= 20 - killed_with  # finished calls were not asked again

    again = cli("eval", "--resume", run_id, "--json")  # nothing left: zero requests
    assert again.code == 1 and proxy.count - before <= 20 - killed_with


def _wait_for_journal(root: Path, lines: int, child: subprocess.Popen[bytes]) -> Path:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        runs = list_runs(root)
        if runs:
            journal = runs_path(root) / runs[-1] / "journal.jsonl"
            if journal.is_file() and journal.read_bytes().count(b"\n") >= lines:
                return journal
        if child.poll() is not None:
            raise AssertionError(f"eval ended early: {child.stderr.read()!r}")  # type: ignore[union-attr]
        time.sleep(0.05)
    raise AssertionError("the journal never grew")


def test_resume_takes_no_selection_flags(root: Path, cli: CLI) -> None:
    assert cli("eval", "echo@v1").code == 0
    run_id = list_runs(root)[-1]
    result = cli("eval", "--resume", run_id, "--filter-id", "one")
    assert result.code == 2 and "--filter-id cannot change them" in result.err
    result = cli("eval", "triage", "--resume", run_id)
    assert result.code == 2 and "is an eval of echo@v1" in result.err
    result = cli("eval", "--resume", "nope")
    assert result.code == 2 and run_id in result.err


def test_bad_input_is_one_line(root: Path, cli: CLI) -> None:
    for args, code, text in [
        (("eval", "triage@v2", "--shard", "5/4"), 2, "invalid --shard '5/4'"),
        (("eval", "triage@v2", "--filter-id", "nope"), 1, "has no case 'nope'"),
        (("eval", "triage@v9"), 1, "triage has no version v9"),
        (("eval", "triage@v2", "--model", "nope"), 2, "invalid --model"),
        (("eval", "triage@v2", "--repeat", "0"), 2, "--repeat must be at least 1"),
        (("eval",), 2, "missing NAME"),
    ]:
        result = cli(*args)
        assert result.code == code and text in result.err, (args, result)
        assert "Traceback" not in result.err and result.out == ""


def test_a_key_in_the_environment_is_written_nowhere(
    tmp_path: Path, proxy: FaultProxy, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path / "p", proxy.url, api_key_env="OPENAI_API_KEY")
    monkeypatch.chdir(root)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    # The proxy echoes the key the client sent in its error bodies, as a careless server might.
    proxy.plan = [status(500, body='{"error": {"message": "bad key {key}"}}')] * 5
    reports = tmp_path / "reports"
    result = cli(
        "eval", "triage@v2", "--baseline", "v1", "-j", "1", "--record", "--json",
        "--junit", str(reports / "j.xml"), "--markdown", str(reports / "r.md"),
    )  # fmt: skip
    assert result.code == 1, result.err
    assert proxy.count >= 20  # the key really was sent, and five answers echoed it
    record = json.loads(result.out)
    assert record["cases"][0]["status"] == "error"
    terminal = cli("eval", "triage@v2", "--baseline", "v1")
    written = [p for p in (*root.rglob("*"), *reports.rglob("*")) if p.is_file()]
    assert any(p.name == "cache.sqlite" for p in written)
    assert any(p.name == "journal.jsonl" for p in written)
    assert any("results" in p.parts for p in written)
    for path in written:
        assert SECRET.encode() not in path.read_bytes(), path
        assert b"SECRET123" not in path.read_bytes(), path
    for text in (result.out, result.err, terminal.out, terminal.err):
        assert "SECRET123" not in text


def test_the_readme_main_job_runs_offline(
    examples: Path, llama_server: LocalServer, cli: CLI
) -> None:
    llama_server.register(examples)
    started = time.monotonic()
    result = cli(
        "eval", "support_ticket_triage@v2", "--baseline", "v1", "--model", "local/gemma3-270m",
        "--json",
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert result.code in (0, 1), result.err  # the 270M model may well fail the gate
    record = json.loads(result.out)
    assert record["requested_model"] == "local/gemma3-270m"
    assert record["baseline"]["version"] == "v1"
    golden = load_golden_set(Project(examples), "support_ticket_triage")
    assert [c["id"] for c in record["cases"]] == golden.ids()
    assert all(c["status"] in ("pass", "fail") for c in record["cases"])  # no errors
    assert all(c["baseline"]["output"] is not None for c in record["cases"])
    assert (result.code == 0) == record["gate"]["passed"]
    print(f"README eval: {len(record['cases'])} cases x 2 sides in {elapsed:.1f} s")


def test_diff_shows_the_per_case_eval_delta_of_recorded_runs(root: Path, cli: CLI) -> None:
    assert json.loads(cli("diff", "triage", "v1", "v2", "--json").out)["eval"] is None
    assert cli("eval", "triage@v1", "--baseline", "none", "--record").code == 0
    assert json.loads(cli("diff", "triage", "v1", "v2", "--json").out)["eval"] is None
    assert cli("eval", "triage@v2", "--baseline", "none", "--record").code == 0
    delta = json.loads(cli("diff", "triage", "v1", "v2", "--json").out)["eval"]
    assert delta["regressions"] == ["short"] and delta["fixes"] == ["no-vars"]
    assert delta["same_golden_set"] is True
    assert (delta["old"]["pass_rate"], delta["new"]["pass_rate"]) == (0.8, 0.8)
    changes = {c["id"]: (c["old"], c["new"], c["change"]) for c in delta["cases"]}
    assert changes["short"] == ("pass", "fail", "regression")
    assert changes["no-vars"] == ("error", "pass", "fix")
    assert changes["never"] == ("fail", "fail", "same")
    assert delta["old"]["file"].startswith("evals/results/triage/v1-")


def test_ctrl_c_stops_at_once_and_names_the_resume_command(
    root: Path, cli: CLI, proxy: FaultProxy
) -> None:
    proxy.plan = [ok()] * 2 + [stall(20)] * 2
    child = subprocess.Popen(
        [sys.executable, "-m", "promptship", "eval", "triage@v2", "--baseline", "v1", "-j", "1"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        journal = _wait_for_journal(root, lines=2, child=child)
        time.sleep(0.3)  # the next call is now stalled in flight
        started = time.monotonic()
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=30)
    finally:
        child.kill()
    assert child.returncode == 130
    assert time.monotonic() - started < 10  # cancelled in flight, not waited out
    run_id = journal.parent.name
    assert f"promptship eval --resume {run_id}" in err.decode()
    assert "Traceback" not in err.decode()
    assert len(list(read_entries(journal))) == 2
    proxy.plan = []
    assert cli("eval", "--resume", run_id).code == 1
    assert len(list(read_entries(journal))) == 20
