"""`promptship init`: a working project in an empty directory, never an overwrite."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CLI
from promptship.commands.init import scaffold_files
from promptship.goldenset import load_golden_set
from promptship.project import Project

EXPECTED = {
    "promptship.toml",
    "prompts/support_ticket_triage/v1.md",
    "prompts/support_ticket_triage/v2.md",
    "prompts/support_ticket_triage/CHANGELOG.md",
    "evals/support_ticket_triage.yaml",
}


@pytest.fixture
def empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "fresh"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.delenv("PROMPTSHIP_ROOT", raising=False)
    return root


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_scaffold_is_packaged() -> None:
    assert set(scaffold_files()) == EXPECTED


def test_init_makes_a_valid_project(empty: Path, cli: CLI) -> None:
    result = cli("init")
    assert result.code == 0, result.err
    for path in EXPECTED:
        assert f"created {path}" in result.out
    assert "next steps:" in result.out and "cd " not in result.out
    project = Project.find()
    assert project.root == empty
    assert project.config.path == empty / "promptship.toml"
    assert project.names() == ["support_ticket_triage"]
    v1, v2 = (project.load("support_ticket_triage", n) for n in (1, 2))
    assert v1.sha != v2.sha
    assert set(v2.variables) == set(v2.used_variables())
    golden = load_golden_set(project, "support_ticket_triage")
    assert len(golden.cases) == 5
    assert len({case.id for case in golden.cases}) == 5
    assert (empty / ".gitattributes").read_text("utf-8") == "* text=auto eol=lf\n"
    assert (empty / ".gitignore").read_text("utf-8") == ".promptship/\n"
    check = cli("check")
    assert check.code == 0, check.out + check.err
    assert cli("diff", "support_ticket_triage", "v1", "v2").code == 0
    # `new` starts v3 as an exact copy of v2: a no-op until edited.
    assert cli("new", "support_ticket_triage").code == 0
    assert Project.find().load("support_ticket_triage", 3).sha == v2.sha


def test_init_twice_refuses_and_changes_nothing(empty: Path, cli: CLI) -> None:
    assert cli("init").code == 0
    (empty / "prompts/support_ticket_triage/v1.md").write_text("edited", "utf-8")
    before = _snapshot(empty)
    result = cli("init")
    assert result.code == 1
    assert "init will not overwrite" in result.err
    for path in EXPECTED:
        assert path in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert _snapshot(empty) == before


def test_any_single_existing_file_blocks_everything(empty: Path, cli: CLI) -> None:
    (empty / "promptship.toml").write_text("prompts_dir = 'p'\n", "utf-8")
    result = cli("init")
    assert result.code == 1 and "promptship.toml" in result.err
    assert _snapshot(empty) == {"promptship.toml": b"prompts_dir = 'p'\n"}
    (empty / "promptship.toml").unlink()
    (empty / "pyproject.toml").write_text("[tool.promptship]\nevals_dir = 'e'\n", "utf-8")
    result = cli("init")
    assert result.code == 1 and "pyproject.toml ([tool.promptship])" in result.err
    (empty / "pyproject.toml").unlink()
    (empty / "prompts/support_ticket_triage").mkdir(parents=True)
    result = cli("init")
    assert result.code == 1 and "prompts/support_ticket_triage/" in result.err


def test_git_files_are_appended_once(empty: Path, cli: CLI) -> None:
    (empty / ".gitignore").write_text("node_modules/\n/.promptship", "utf-8")
    (empty / ".gitattributes").write_text("*.png binary", "utf-8")
    result = cli("init")
    assert result.code == 0
    assert (empty / ".gitignore").read_text("utf-8") == "node_modules/\n/.promptship"
    assert (empty / ".gitattributes").read_text("utf-8") == "*.png binary\n* text=auto eol=lf\n"
    assert "updated .gitattributes" in result.out and "updated .gitignore" not in result.out


def test_failure_half_way_leaves_nothing_behind(empty: Path, cli: CLI) -> None:
    # evals/ is written first; then prompts/ cannot be created because a file has its name.
    (empty / "prompts").write_text("not a folder", "utf-8")
    (empty / ".gitignore").write_text("x\n", "utf-8")
    before = _snapshot(empty)
    result = cli("init")
    assert result.code == 1
    assert "nothing was changed" in result.err and "Traceback" not in result.err
    assert _snapshot(empty) == before
    assert sorted(p.name for p in empty.iterdir()) == [".gitignore", "prompts"]


def test_init_into_a_new_directory(empty: Path, cli: CLI) -> None:
    result = cli("init", "sub/project")
    assert result.code == 0, result.err
    assert "created sub/project/promptship.toml" in result.out
    assert "cd sub/project" in result.out
    assert Project(empty / "sub/project").load("support_ticket_triage", 2).version == 2
    (empty / "afile").write_text("", "utf-8")
    result = cli("init", "afile")
    assert result.code == 1 and "is not a directory" in result.err


def test_git_files_that_are_not_utf8_are_kept_byte_for_byte(empty: Path, cli: CLI) -> None:
    (empty / ".gitignore").write_bytes(b"caf\xe9/\n")
    assert cli("init").code == 0
    assert (empty / ".gitignore").read_bytes() == b"caf\xe9/\n.promptship/\n"
