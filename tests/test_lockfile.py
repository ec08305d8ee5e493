import marshal
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CLI
from lock_helpers import TRIAGE
from promptship import lockfile, lockformat, strict_yaml
from promptship.errors import PromptshipError
from promptship.lockformat import Canary, Pin
from promptship.project import Project

SHA_A = "sha256:" + "a" * 64
SHA_B = "sha256:" + "b" * 64

EXPECTED = """\
# prompts.lock: which prompt version each environment serves.
# Written by `promptship promote` and `promptship rollback`; do not edit by hand.
format_version: 1
sha_scheme: pv1
environments:
  production:
    billing/refunds:
      canary:
        evidence: null
        forced_reason: null
        note: "try \\"v3\\""
        promoted_at: "2026-11-20T14:05:00Z"
        promoted_by: "Ada <ada@example.com>"
        sha256: "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
        version: "v3"
        weight: 10
      evidence: "evals/results/billing/refunds/v2-aaaaaaaaaaaa-20261120T100000Z.json"
      forced_reason: null
      note: null
      promoted_at: "2026-11-20T14:00:00Z"
      promoted_by: "Ada <ada@example.com>"
      replaced: "v1"
      sha256: "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      version: "v2"
    "true":
      canary: null
      evidence: null
      forced_reason: "hotfix"
      note: null
      promoted_at: "2026-11-20T14:00:00Z"
      promoted_by: "ci"
      replaced: null
      sha256: "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      version: "v1"
"""


def sample() -> lockformat.Pins:
    canary = Canary(3, SHA_B, 10, "2026-11-20T14:05:00Z", "Ada <ada@example.com>", 'try "v3"')
    evidence = "evals/results/billing/refunds/v2-aaaaaaaaaaaa-20261120T100000Z.json"
    return {
        "dev": {},
        "production": {
            "true": Pin(1, SHA_A, "2026-11-20T14:00:00Z", "ci", forced_reason="hotfix"),
            "billing/refunds": Pin(
                2,
                SHA_A,
                "2026-11-20T14:00:00Z",
                "Ada <ada@example.com>",
                1,
                None,
                evidence,
                None,
                canary,
            ),
        },
    }


def test_the_written_format_is_exactly_this() -> None:
    assert lockformat.render(sample()) == EXPECTED


def test_render_is_deterministic_and_round_trips() -> None:
    pins = sample()
    reordered = {env: dict(reversed(named.items())) for env, named in reversed(pins.items())}
    text = lockformat.render(pins)
    assert lockformat.render(reordered) == text
    parsed = lockformat.parse(text, "prompts.lock")
    assert parsed == {env: named for env, named in pins.items() if named}
    assert lockformat.render(parsed) == text
    assert lockformat.render({}).endswith("environments: {}\n")
    assert lockformat.parse(lockformat.render({}), "prompts.lock") == {}


@settings(max_examples=200, deadline=None)
@given(
    note=st.text(),
    who=st.text(min_size=1),
    name=st.from_regex(r"[a-z0-9_-]{1,8}(/[a-z0-9_-]{1,8})?", fullmatch=True),
    env=st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True),
)
def test_any_text_survives_a_round_trip(note: str, who: str, name: str, env: str) -> None:
    pins = {env: {name: Pin(2, SHA_A, "2026-11-20T14:00:00Z", who, 1, note)}}
    text = lockformat.render(pins)
    assert lockformat.parse(text, "prompts.lock") == pins
    # What the cache stores is what strict_yaml reads from the text.
    assert strict_yaml.load(text, "prompts.lock") == lockformat.raw_data(pins)


def test_promote_writes_the_file_and_its_parse_cache(examples: Path, cli: CLI) -> None:
    assert cli("promote", TRIAGE, "v1", "--env", "dev", "--note", "first").code == 0
    result = cli("promote", TRIAGE, "v2", "--env", "dev")
    assert result.code == 0, result.err
    project = Project(examples)
    text = project.lock_path.read_text()
    pin = lockformat.parse(text, "prompts.lock")["dev"][TRIAGE]
    assert (pin.version, pin.replaced, pin.note) == (2, 1, None)
    assert pin.sha256 == project.load(TRIAGE, 2).sha
    assert pin.promoted_at.endswith("Z") and pin.promoted_by
    cache = marshal.loads((examples / ".promptship" / lockfile.CACHE_FILE).read_bytes())
    assert cache[3] == strict_yaml.load(text, "prompts.lock")
    # Promoting what is already pinned changes nothing, not even the time.
    before = project.lock_path.read_bytes()
    again = cli("promote", TRIAGE, "v2", "--env", "dev")
    assert again.code == 0 and "already serves" in again.out
    assert project.lock_path.read_bytes() == before


def test_a_stale_cache_is_never_used(examples: Path, cli: CLI) -> None:
    assert cli("promote", TRIAGE, "v1", "--env", "dev").code == 0
    path = examples / "prompts.lock"
    edited = path.read_text().replace("note: null", 'note: "edited by hand"')
    path.write_text(edited)
    pin = lockfile.read(Project(examples)).pin("dev", TRIAGE)
    assert pin is not None and pin.note == "edited by hand"


def _valid_lock(examples: Path, cli: CLI) -> str:
    assert cli("promote", TRIAGE, "v1", "--env", "dev").code == 0
    assert cli("promote", TRIAGE, "v2", "--env", "dev", "--canary", "20").code == 0
    return (examples / "prompts.lock").read_text()


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


BROKEN = [
    # (what, edit(text) -> text, needle on the reported line, message)
    ("bad YAML", lambda t: t.replace("weight: 20", "weight: [20"), None, "invalid YAML"),
    (
        "unknown format",
        lambda t: t.replace("format_version: 1", "format_version: 2"),
        "format_version",
        "unknown lockfile format_version 2",
    ),
    (
        "unknown scheme",
        lambda t: t.replace("sha_scheme: pv1", "sha_scheme: pv9"),
        "sha_scheme",
        "unknown sha_scheme 'pv9'",
    ),
    (
        "unknown environment",
        lambda t: t.replace("  dev:", "  qa:"),
        "  qa:",
        "unknown environment 'qa'",
    ),
    (
        "bad SHA",
        lambda t: re.sub(r'sha256: "sha256:[0-9a-f]{6}', 'sha256: "sha256:XYZ', t, count=1),
        None,
        "sha256 must look like sha256:<64 lowercase hex>",
    ),
    (
        "duplicate key",
        lambda t: t.replace("\n      note: null\n", "\n      note: null\n      note: null\n"),
        None,
        "duplicate key 'note'",
    ),
    (
        "unknown key",
        lambda t: t.replace("\n      note: null\n", "\n      notes: null\n"),
        "notes:",
        "unknown pin key 'notes'",
    ),
    (
        "bad weight",
        lambda t: t.replace("weight: 20", "weight: 150"),
        "weight:",
        "canary weight must be 1-99",
    ),
    (
        "YAML 1.1 date",
        lambda t: t.replace('promoted_at: "', "promoted_at: ", 1).replace('Z"\n', "Z\n", 1),
        "promoted_at",
        "YAML 1.1 reads",
    ),
    (
        "bad version",
        lambda t: t.replace('version: "v1"', 'version: "1"', 1),
        None,
        "a version must look like v2",
    ),
    ("empty", lambda t: "", None, "the lockfile is empty"),
]


@pytest.mark.parametrize(("what", "edit", "needle", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_lockfile_is_reported_with_its_line_and_never_overwritten(
    examples: Path, cli: CLI, what: str, edit: object, needle: str | None, message: str
) -> None:
    text = _valid_lock(examples, cli)
    broken = edit(text)  # type: ignore[operator]
    assert broken != text or what == "empty"
    path = examples / "prompts.lock"
    path.write_text(broken)
    before = path.read_bytes()
    for args in (
        ("promote", TRIAGE, "v2", "--env", "dev"),
        ("promote", "refund_handler", "v18", "--env", "dev"),
        ("rollback", TRIAGE, "--env", "dev"),
    ):
        result = cli(*args)
        assert result.code == 1, (args, result.out)
        assert message in result.err
        assert "Traceback" not in result.err
        if needle is not None:
            assert f"prompts.lock:{_line(broken, needle)}" in result.err, result.err
        elif what != "empty":
            assert "prompts.lock:" in result.err
        assert path.read_bytes() == before
    check = cli("lock", "--check")
    assert check.code == 1 and message in check.err
    assert cli("check").code == 1


def test_invalid_utf8_is_reported_with_its_line(examples: Path, cli: CLI) -> None:
    text = _valid_lock(examples, cli)
    path = examples / "prompts.lock"
    path.write_bytes(text.replace("note: null", 'note: "\xff"', 1).encode("latin-1"))
    result = cli("status")
    assert result.code == 1 and "invalid UTF-8" in result.err
    assert f"prompts.lock:{_line(text, 'note: null')}" in result.err


def test_a_pinned_file_that_changed_fails_check_and_blocks_writes(examples: Path, cli: CLI) -> None:
    assert cli("promote", TRIAGE, "v1", "--env", "dev").code == 0
    assert cli("lock", "--check").code == 0
    v1 = examples / "prompts" / TRIAGE / "v1.md"
    v1.write_text(v1.read_text().replace("classifier", "classifier bot"))
    before = (examples / "prompts.lock").read_bytes()
    for args in (
        ("lock", "--check"),
        ("check",),
        ("promote", "refund_handler", "v18", "--env", "dev"),
    ):
        result = cli(*args)
        said = result.out + result.err  # check prints its findings on stdout
        assert result.code == 1, args
        assert f"{TRIAGE}@v1 is pinned in dev as sha256:" in said
        assert f"create the next version with `promptship new {TRIAGE}`" in said
        assert "prompts.lock:7" in said
    assert (examples / "prompts.lock").read_bytes() == before
    shown = cli("show", f"{TRIAGE}@dev")
    assert shown.code == 1 and "no longer hashes" not in shown.out


def test_check_on_files_looks_at_the_pins_of_those_files_only(examples: Path) -> None:
    project = Project(examples)
    with lockfile.exclusive(project):
        lf = lockfile.read(project)
        v1 = project.load(TRIAGE, 1)
        lf.pins["dev"] = {TRIAGE: Pin(1, v1.sha, "2026-11-20T14:00:00Z", "me")}
        lockfile.save(project, lf)
    changed = examples / "prompts" / TRIAGE / "v1.md"
    changed.write_text(changed.read_text() + "\nMore.\n")
    project = Project(examples)  # a fresh process's view: versions are cached per Project
    other = (examples / "prompts" / "refund_handler" / "v18.md").resolve()
    assert lockfile.check_problems(project, {other}) == []
    problems = lockfile.check_problems(project, {changed.resolve()})
    assert [p.path for p in problems] == [f"prompts/{TRIAGE}/v1.md"]
    assert lockfile.check_problems(Project(examples), None) == problems


def test_a_pinned_version_that_is_gone_is_reported(examples: Path, cli: CLI) -> None:
    assert cli("promote", "refund_handler", "v17", "--env", "dev").code == 0
    (examples / "prompts" / "refund_handler" / "v17.md").unlink()
    result = cli("lock", "--check")
    assert result.code == 1
    assert "prompts.lock:7: dev pins refund_handler@v17, which does not exist" in result.err


# --- crash safety --------------------------------------------------------------------------

CHILD = """
import os, sys, time
from dataclasses import replace
from pathlib import Path
from promptship import atomic, lockfile
from promptship.project import Project

root, mode, marker = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])

def hang(*args, **kwargs):
    marker.write_text("ready")
    time.sleep(120)

if mode == "mid-write":
    real_write = os.write
    def half(fd, data):
        real_write(fd, bytes(data[: len(data) // 2]))
        hang()
    atomic.os.write = half
elif mode == "before-rename":
    atomic.os.replace = hang
elif mode == "after-rename":
    atomic.sync_directory = hang

project = Project(root)
if mode == "holding":
    with lockfile.exclusive(project):
        hang()
with lockfile.transaction(project) as lf:
    pin = lf.pins["dev"]["support_ticket_triage"]
    lf.pins["dev"]["support_ticket_triage"] = replace(pin, note="the new text " * 50)
"""


def _run_and_kill(root: Path, mode: str) -> None:
    marker = root.parent / f"{mode}.ready"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(root), mode, str(marker)])
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert child.poll() is None, "the writer exited early"
        assert time.monotonic() < deadline, "the writer never got there"
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL


@pytest.mark.parametrize(
    ("mode", "expect_new"),
    [("mid-write", False), ("before-rename", False), ("after-rename", True), ("holding", False)],
)
def test_a_writer_killed_with_sigkill_leaves_the_old_or_new_file(
    examples: Path, cli: CLI, mode: str, expect_new: bool
) -> None:
    assert cli("promote", TRIAGE, "v1", "--env", "dev").code == 0
    project = Project(examples)
    old = project.lock_path.read_bytes()
    _run_and_kill(examples, mode)
    now = project.lock_path.read_bytes()
    pin = lockformat.parse(now.decode(), "prompts.lock")["dev"][TRIAGE]  # whole and valid
    assert (now != old) is expect_new
    assert (pin.note is not None) is expect_new
    # The dead writer's flock died with it: the lock is free at once.
    started = time.monotonic()
    with lockfile.exclusive(project, timeout=2):
        pass
    assert time.monotonic() - started < 1
    # The next write clears the torn temp file the dead writer left behind.
    assert cli("promote", TRIAGE, "v2", "--env", "dev").code == 0
    assert list(examples.glob(".prompts.lock.*.tmp")) == []
    assert lockfile.read(Project(examples)).pin("dev", TRIAGE).version == 2  # type: ignore[union-attr]


def test_a_live_holder_makes_writers_wait_then_time_out(examples: Path, cli: CLI) -> None:
    assert cli("promote", TRIAGE, "v1", "--env", "dev").code == 0
    marker = examples.parent / "holding.ready"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(examples), "holding", str(marker)])
    try:
        while not marker.exists():
            time.sleep(0.02)
        with (
            pytest.raises(PromptshipError) as caught,
            lockfile.exclusive(Project(examples), timeout=0.3),
        ):
            pass
        assert f"pid {child.pid}" in caught.value.message
    finally:
        child.kill()
        child.wait()


def test_local_state_ignores_itself(examples: Path, cli: CLI) -> None:
    assert cli("promote", TRIAGE, "v1", "--env", "dev").code == 0
    assert (examples / ".promptship" / ".gitignore").read_text() == "*\n"
    assert (examples / ".promptship" / lockfile.LOCK_FILE).exists()
