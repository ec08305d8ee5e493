"""`promptship new`: the next version as an exact copy, and the CHANGELOG stub check rejects."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from conftest import CLI
from promptship import changelog
from promptship.project import Project

TRIAGE = Path("prompts/support_ticket_triage")
TODAY = datetime.date.today().isoformat()


def _entries(path: Path) -> list[tuple[int, str | None, str]]:
    log = changelog.parse(path.read_text("utf-8"), str(path))
    return [(e.version, e.date, e.body) for e in log.entries]


def test_next_version_is_a_copy_with_the_same_sha(examples: Path, cli: CLI) -> None:
    before = _entries(examples / TRIAGE / "CHANGELOG.md")
    result = cli("new", "support_ticket_triage")
    assert result.code == 0, result.err
    created = examples / TRIAGE / "v3.md"
    assert created.read_bytes() == (examples / TRIAGE / "v2.md").read_bytes()
    project = Project(examples)
    v2, v3 = project.load("support_ticket_triage", 2), project.load("support_ticket_triage", 3)
    assert v3.sha == v2.sha
    assert "prompts/support_ticket_triage/v3.md" in result.out and v2.sha[7:19] in result.out
    entries = _entries(examples / TRIAGE / "CHANGELOG.md")
    assert entries[0] == (3, TODAY, changelog.STUB)
    assert entries[1:] == before
    assert (
        (examples / TRIAGE / "CHANGELOG.md")
        .read_text("utf-8")
        .startswith(f"# support_ticket_triage\n\n## v3 - {TODAY}\n{changelog.STUB}\n\n## v2 - ")
    )
    check = cli("check", "--json")
    assert check.code == 1
    problems = json.loads(check.out)["problems"]
    assert any("still the stub" in p["message"] for p in problems)


def test_from_an_older_version_and_yaml_keeps_its_format(examples: Path, cli: CLI) -> None:
    assert cli("new", "support_ticket_triage", "--from", "v1").code == 0
    copy = examples / TRIAGE / "v3.md"
    assert copy.read_bytes() == (examples / TRIAGE / "v1.md").read_bytes()
    assert cli("new", "rag_answer").code == 0
    rag = examples / "prompts/rag_answer"
    assert (rag / "v2.yaml").read_bytes() == (rag / "v1.yaml").read_bytes()
    assert not (rag / "v2.md").exists()


def test_brand_new_prompt(examples: Path, cli: CLI) -> None:
    result = cli("new", "billing/refunds", "--model", "anthropic/claude-haiku-4-5")
    assert result.code == 0, result.err
    folder = examples / "prompts/billing/refunds"
    version = Project(examples).load("billing/refunds", 1)
    assert version.model == "anthropic/claude-haiku-4-5"
    assert set(version.variables) == set(version.used_variables()) == {"input"}
    assert (folder / "CHANGELOG.md").read_text("utf-8") == (
        f"# billing/refunds\n\n## v1 - {TODAY}\n{changelog.STUB}\n"
    )
    problems = json.loads(cli("check", "--json").out)["problems"]
    ours = [p for p in problems if "billing/refunds" in p["path"]]
    assert [p["message"] for p in ours] == [
        "entry for v1 is still the stub written by `promptship new`"
    ]
    assert cli("new", "plain").code == 0
    assert Project(examples).load("plain", 1).model == "openai/gpt-4o-mini"


def test_existing_entry_is_not_duplicated_and_bare_changelog_gets_one(
    examples: Path, cli: CLI
) -> None:
    log = examples / TRIAGE / "CHANGELOG.md"
    log.write_text(
        "# support_ticket_triage\n\n## v3\nWritten ahead.\n\n## v2\nx\n\n## v1\ny\n", "utf-8"
    )
    result = cli("new", "support_ticket_triage")
    assert result.code == 0
    assert "already has an entry for v3" in result.out
    assert [e[0] for e in _entries(log)] == [3, 2, 1]
    bare = examples / "prompts/rag_answer/CHANGELOG.md"
    bare.write_text("# rag_answer", "utf-8")
    assert cli("new", "rag_answer").code == 0
    assert bare.read_text("utf-8") == f"# rag_answer\n\n## v2 - {TODAY}\n{changelog.STUB}\n"


def test_bad_input_is_refused_and_writes_nothing(examples: Path, cli: CLI, tmp_path: Path) -> None:
    def files() -> set[Path]:
        return {p for p in (examples / "prompts").rglob("*")}

    before = files()
    for args, code, message in [
        (("../escape",), 1, "invalid prompt name '../escape'"),
        (("/etc/x",), 1, "invalid prompt name"),
        (("Bad Name",), 1, "invalid prompt name"),
        (("a/../b",), 1, "invalid prompt name"),
        (("support_ticket_triage", "--model", "openai/gpt-4o"), 2, "--model applies only"),
        (("support_ticket_triage", "--from", "v9"), 1, "has no version v9"),
        (("support_ticket_triage", "--from", "2"), 1, "invalid version '2'"),
        (("fresh", "--from", "v1"), 2, "fresh has no versions to copy"),
        (("fresh", "--model", "gpt-4o"), 2, "--model must look like 'provider/name'"),
    ]:
        result = cli("new", *args)
        assert result.code == code, (args, result.err)
        assert message in result.err
        assert len(result.err.strip().splitlines()) == 1
    assert files() == before
    # A source that does not parse is not copied.
    (examples / TRIAGE / "v2.md").write_text("---\nmodel: nope\n---\nuser:\nhi\n", "utf-8")
    result = cli("new", "support_ticket_triage")
    assert result.code == 1 and "v2.md:2: model must look like" in result.err
    assert not (examples / TRIAGE / "v3.md").exists()


def test_symlink_out_of_the_prompts_folder_is_refused(
    examples: Path, cli: CLI, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (examples / "prompts/escape").symlink_to(outside, target_is_directory=True)
    result = cli("new", "escape")
    assert result.code == 1
    assert "outside prompts/" in result.err
    assert list(outside.iterdir()) == []
