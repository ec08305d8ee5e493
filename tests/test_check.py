"""Every `check` rule on a real project in a temp dir, and the command's output contract."""

import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CLI
from promptship import check_cache, launcher
from promptship.check import CHECKERS, check_project, check_prompts
from promptship.errors import Problem
from promptship.project import Project

PROMPT = """\
---
model: openai/gpt-4o
variables:
  ticket: {required: true}
---
system:
Classify the ticket.
user:
{{ ticket }}
"""


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")
    return path


def make_prompt(root: Path, name: str, *texts: str, changelog: bool = True) -> Path:
    folder = root / "prompts" / name
    for number, text in enumerate(texts, start=1):
        write(folder / f"v{number}.md", text)
    if changelog:
        entries = "".join(
            f"## v{n} - 2026-01-{n:02d}\nChange {n}.\n\n" for n in range(len(texts), 0, -1)
        )
        write(folder / "CHANGELOG.md", f"# {name}\n\n{entries}")
    return folder


def found(root: Path, files: set[Path] | None = None) -> list[tuple[str, int | None, str]]:
    return [(p.path, p.line, p.message) for p in check_project(Project(root.resolve()), files)]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    make_prompt(root, "triage", PROMPT)
    monkeypatch.chdir(root)
    monkeypatch.delenv("PROMPTSHIP_ROOT", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return root.resolve()


def test_bundled_examples_pass(examples: Path, cli: CLI) -> None:
    result = cli("check")
    assert result.code == 0, result.out
    assert result.out == ""
    assert "no problems" in result.err


def test_a_clean_project_has_no_problems(project: Path) -> None:
    assert found(project) == []


# --- parsing -------------------------------------------------------------------------------


def test_every_parse_error_becomes_a_problem_with_its_line(project: Path) -> None:
    write(project / "prompts/triage/v1.md", PROMPT.replace("model:", "modle:"))
    [(path, line, message)] = found(project)
    assert (path, line, message) == ("prompts/triage/v1.md", 2, "unknown key 'modle'")
    problem = check_project(Project(project))[0]
    assert problem.fix == "did you mean 'model'?"


def test_template_syntax_error_points_at_the_line(project: Path) -> None:
    write(project / "prompts/triage/v1.md", PROMPT.replace("{{ ticket }}", "{{ ticket }"))
    [(_, line, message)] = found(project)
    assert line == 9 and message.startswith("template syntax error")


# --- file and folder names -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "fix"),
    [
        ("v01.md", "rename it to v1.md"),
        ("v2.yml", "rename it to v2.yaml"),
        ("V2.md", "rename it to v2.md"),
        ("v3.markdown", "rename it to v3.md"),
        ("v0.md", "versions start at v1"),
        ("v4.txt", "versions are v4.md or v4.yaml"),
        ("v4", "versions are v4.md or v4.yaml"),
        ("changelog.md", "rename it to CHANGELOG.md"),
        ("notes.txt", "move it out of the prompt folder"),
    ],
)
def test_files_that_are_not_versions_are_named_with_the_fix(
    project: Path, filename: str, fix: str
) -> None:
    write(project / "prompts/triage" / filename, PROMPT)
    problems = check_project(Project(project))
    assert [(p.path, p.message) for p in problems] == [
        (f"prompts/triage/{filename}", f"{filename!r} is not a version file")
    ]
    assert problems[0].fix is not None and problems[0].fix.startswith(fix)


def test_readme_and_dotfiles_are_allowed_in_a_prompt_folder(project: Path) -> None:
    write(project / "prompts/triage/README.md", "About this prompt.")
    write(project / "prompts/triage/.gitkeep", "")
    assert found(project) == []


def test_two_files_for_one_version(project: Path) -> None:
    write(
        project / "prompts/triage/v1.yaml",
        "model: openai/gpt-4o\nmessages: [{role: user, content: hi}]\n",
    )
    assert ("prompts/triage/v1.yaml", None, "v1 exists twice: v1.md and v1.yaml") in found(project)


@pytest.mark.parametrize(
    ("folder", "suggestion"),
    [("Bad Name", "bad_name"), ("UPPER", "upper"), ("dots.in.name", "dots_in_name")],
)
def test_invalid_prompt_names(project: Path, folder: str, suggestion: str) -> None:
    make_prompt(project, folder, PROMPT)
    problems = [p for p in check_project(Project(project)) if "invalid prompt name" in p.message]
    assert [(p.path, p.message) for p in problems] == [
        (f"prompts/{folder}", f"invalid prompt name {folder!r}")
    ]
    assert problems[0].fix is not None and repr(suggestion) in problems[0].fix


def test_nested_prompt_names_are_valid(project: Path) -> None:
    make_prompt(project, "billing/refund_handler", PROMPT)
    assert found(project) == []


def test_prompt_folder_without_versions(project: Path) -> None:
    write(project / "prompts/empty/CHANGELOG.md", "# empty\n")
    assert found(project) == [("prompts/empty", None, "prompt folder has no versions")]


def test_a_symlinked_version_file_is_not_followed_out_of_the_repo(
    project: Path, tmp_path: Path
) -> None:
    secret = write(tmp_path / "outside.txt", "not a prompt")
    (project / "prompts/triage/v2.md").symlink_to(secret)
    assert (
        "prompts/triage/v2.md",
        None,
        "not a regular file (a symbolic link or a special file)",
    ) in found(project)
    changelog = project / "prompts/triage/CHANGELOG.md"
    changelog.unlink()
    changelog.symlink_to(secret)
    assert (
        "prompts/triage/CHANGELOG.md",
        None,
        "not a regular file (a symbolic link or a special file)",
    ) in found(project)


# --- variables -------------------------------------------------------------------------------


def test_undeclared_variable_is_reported_on_the_line_that_uses_it(project: Path) -> None:
    text = PROMPT.replace("Classify the ticket.", "Classify the ticket.\nTier: {{ tier }}")
    write(project / "prompts/triage/v1.md", text)
    problems = check_project(Project(project))
    assert [(p.line, p.message) for p in problems] == [
        (8, "variable 'tier' is used but not declared")
    ]
    assert problems[0].fix == "declare it under 'variables:', e.g. tier: {required: true}"


def test_unused_declared_variable_is_reported_on_its_declaration(project: Path) -> None:
    text = PROMPT.replace(
        "  ticket: {required: true}\n", "  ticket: {required: true}\n  tier: {}\n"
    )
    write(project / "prompts/triage/v1.md", text)
    assert found(project) == [
        ("prompts/triage/v1.md", 5, "variable 'tier' is declared but never used")
    ]


def test_both_variable_rules_in_a_yaml_prompt(project: Path) -> None:
    write(
        project / "prompts/triage/v2.yaml",
        "model: openai/gpt-4o\n"
        "variables:\n"
        "  ticket: {required: true}\n"
        "  unused: {default: x}\n"
        "messages:\n"
        "  - role: user\n"
        "    content: |\n"
        "      {{ ticket }}\n"
        "      {{ other }}\n",
    )
    write(
        project / "prompts/triage/CHANGELOG.md",
        "# triage\n## v2\nYAML form.\n## v1\nFirst.\n",
    )
    assert found(project) == [
        ("prompts/triage/v2.yaml", 4, "variable 'unused' is declared but never used"),
        ("prompts/triage/v2.yaml", 8, "variable 'other' is used but not declared"),
    ]


def test_template_locals_and_jinja_globals_are_not_variables(project: Path) -> None:
    body = (
        "{% set greeting = 'hi' %}{{ greeting }} {{ ticket }}\n"
        "{% for i in range(2) %}{{ loop.index }}{% endfor %}"
    )
    write(project / "prompts/triage/v1.md", PROMPT.replace("{{ ticket }}", body))
    assert found(project) == []


# --- text rules ------------------------------------------------------------------------------

SECRETS = {
    "an OpenAI API key": "sk-proj-" + "Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5",
    "an OpenAI API key (legacy)": "sk-" + "Zx8Cv7Bn6Mq5Wr4Et3Yu2Io1Pa0SdFgHjKl",
    "an Anthropic API key": "sk-ant-api03-" + "Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8",
    "an AWS access key id": "AKIA" + "Z7Q2M4X9C3V8B1N6",
    "a GitHub token": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "a GitHub token (fine-grained)": "github_pat_" + "11ABCDEFG0123456789_abcdefghijKLMNOP",
    "a Slack token": "xoxb-" + "1234567890-0987654321-AbCdEfGhIjKl",
    "a Google API key": "AIza" + "SyD3kF8m2QpX7vL1nR5tW9bC4hJ6gE0aZ1s",
}


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_secrets_are_found_and_never_printed(project: Path, cli: CLI, kind: str) -> None:
    secret = SECRETS[kind]
    text = PROMPT.replace("Classify the ticket.", f"Classify the ticket.\nUse key {secret} now.")
    write(project / "prompts/triage/v1.md", text)
    result = cli("check")
    assert result.code == 1
    expected = kind.split(" (")[0]
    assert f"prompts/triage/v1.md:8: {expected} in the text" in result.out
    assert secret not in result.out + result.err
    assert secret[-4:] in result.out  # the masked form ends like the key, so it can be found
    json_result = cli("check", "--json")
    assert secret not in json_result.out


def test_private_key_block_is_a_secret(project: Path) -> None:
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----"
    write(project / "prompts/triage/v1.md", PROMPT.replace("Classify the ticket.", key))
    [(_, line, message)] = found(project)
    assert line == 7 and message.startswith("a private key in the text")
    assert "b3BlbnNzaC1rZXktdjEAAAAA" not in message


@pytest.mark.parametrize(
    "text",
    [
        "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",  # placeholder
        "AKIAXXXXXXXXXXXXXXXX",
        "Use the scikit-learn task-sk-learning-pipeline-configs.",
        "Set OPENAI_API_KEY=sk-... in your environment.",
    ],
)
def test_placeholders_are_not_secrets(project: Path, text: str) -> None:
    write(project / "prompts/triage/v1.md", PROMPT.replace("Classify the ticket.", text))
    assert found(project) == []


def test_secret_in_a_changelog_is_found(project: Path) -> None:
    path = project / "prompts/triage/CHANGELOG.md"
    write(path, path.read_text() + "\nRotated " + SECRETS["an AWS access key id"] + ".\n")
    assert [m for _, _, m in found(project)] == ["an AWS access key id in the text (AKIA****B1N6)"]


def test_text_that_is_not_nfc(project: Path) -> None:
    decomposed = "Cafe\u0301 tickets."
    write(project / "prompts/triage/v1.md", PROMPT.replace("Classify the ticket.", decomposed))
    [(_, line, message)] = found(project)
    assert line == 7 and "not Unicode NFC" in message and "'é'" in message


@pytest.mark.parametrize(
    ("char", "name"),
    [
        ("\u200b", "U+200B ZERO WIDTH SPACE"),
        ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("\u00ad", "U+00AD SOFT HYPHEN"),
        ("\U000e0041", "U+E0041 TAG LATIN CAPITAL LETTER A"),
    ],
)
def test_invisible_and_bidi_characters_with_their_line(project: Path, char: str, name: str) -> None:
    write(project / "prompts/triage/v1.md", PROMPT.replace("Classify the", f"Classify{char} the"))
    [(_, line, message)] = found(project)
    assert line == 7 and name in message


def test_a_leading_bom_and_joiners_inside_emoji_are_fine(project: Path) -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji, joined by ZWJ
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # ZWNJ inside a word
    text = "\ufeff" + PROMPT.replace("Classify the ticket.", f"Classify {family} {persian}.")
    write(project / "prompts/triage/v1.md", text)
    assert found(project) == []


# --- versions and changelog -----------------------------------------------------------------


def test_a_version_identical_to_the_previous_one_is_a_no_op(project: Path) -> None:
    make_prompt(project, "triage", PROMPT, PROMPT.replace("---\nsystem:", "---\n\nsystem:"))
    problems = check_project(Project(project))
    assert [(p.path, p.message[:38]) for p in problems] == [
        ("prompts/triage/v2.md", "v2 sends exactly what v1 sends (same S")
    ]
    assert problems[0].fix == "delete v2, or make the change you meant to make"


def test_returning_to_an_older_version_is_not_a_no_op(project: Path) -> None:
    changed = PROMPT.replace("Classify the ticket.", "Classify the ticket briefly.")
    make_prompt(project, "triage", PROMPT, changed, PROMPT)
    assert found(project) == []


def test_changelog_problems_are_part_of_check(project: Path) -> None:
    (project / "prompts/triage/CHANGELOG.md").unlink()
    assert [(p, m) for p, _, m in found(project)] == [
        ("prompts/triage", "no CHANGELOG.md in this prompt folder")
    ]
    write(project / "prompts/triage/CHANGELOG.md", "# triage\n\n## v1\n")
    assert found(project) == [("prompts/triage/CHANGELOG.md", 3, "empty entry for v1")]


def test_warnings_do_not_fail(project: Path, cli: CLI) -> None:
    write(project / "prompts/triage/CHANGELOG.md", "# other\n\n## v1\nFirst.\n")
    result = cli("check")
    assert result.code == 0
    assert result.out.startswith("prompts/triage/CHANGELOG.md:1: warning: changelog title")
    assert "1 warning" in result.err


# --- what files select -----------------------------------------------------------------------


def test_files_check_only_their_prompts(project: Path) -> None:
    make_prompt(project, "broken", PROMPT.replace("model:", "modle:"))
    good = project / "prompts/triage/v1.md"
    assert found(project, {good}) == []
    assert found(project, {project / "prompts/broken/v1.md"}) != []


def test_files_never_scan_the_whole_repository(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_scan(self: Project) -> None:
        raise AssertionError("scanned every prompt")

    write(
        project / "evals/triage.yaml",
        "prompt: triage\ncases:\n  - {id: a, vars: {tickt: x}, expect: billing}\n",
    )
    monkeypatch.setattr(Project, "scan", no_scan)
    text = PROMPT.replace("{{ ticket }}", "{{ ticket }} {{ tier }}")
    write(project / "prompts/triage/v1.md", text)
    problems = check_project(Project(project), {project / "prompts/triage/v1.md"})
    assert [(p.path, p.message[:28]) for p in problems] == [
        ("evals/triage.yaml", "case 'a' does not set 'ticke"),  # the prompt's golden set
        ("evals/triage.yaml", "case 'a' sets variable 'tick"),
        ("prompts/triage/v1.md", "variable 'tier' is used but "),
    ]


def test_a_changed_changelog_checks_its_prompt(project: Path) -> None:
    write(project / "prompts/triage/v1.md", PROMPT.replace("{{ ticket }}", "{{ tickt }}"))
    messages = {m for _, _, m in found(project, {project / "prompts/triage/CHANGELOG.md"})}
    assert "variable 'tickt' is used but not declared" in messages


def test_folders_as_arguments(project: Path) -> None:
    make_prompt(project, "billing/refund", PROMPT.replace("model:", "modle:"))
    make_prompt(project, "other", PROMPT.replace("model:", "modle:"))
    paths = {p for p, _, _ in found(project, {project / "prompts/billing"})}
    assert paths == {"prompts/billing/refund/v1.md"}  # the folder and the prompts nested in it
    everything = {"prompts/billing/refund/v1.md", "prompts/other/v1.md"}
    assert {p for p, _, _ in found(project, {project / "prompts"})} == everything
    assert {p for p, _, _ in found(project, {project})} == everything


def test_a_missing_file_argument_is_a_warning(project: Path, cli: CLI) -> None:
    result = cli("check", "prompts/triag/v1.md")
    assert result.code == 0
    assert result.out == "prompts/triag/v1.md: warning: no such file; nothing to check there\n"


def test_deleted_prompt_and_unrelated_files_check_nothing(project: Path) -> None:
    files = {project / "prompts/gone/v1.md", project / "README.md", project / "prompts/x.md"}
    assert found(project, files) == []


def test_a_changed_config_file_checks_everything(project: Path) -> None:
    make_prompt(project, "broken", PROMPT.replace("model:", "modle:"))
    config = write(project / "promptship.toml", 'prompts_dir = "prompts"\n')
    assert [p for p, _, _ in found(project, {config})] == ["prompts/broken/v1.md"]


# --- the command -----------------------------------------------------------------------------


def test_output_is_one_line_per_problem_and_a_summary(project: Path, cli: CLI) -> None:
    write(project / "prompts/triage/v1.md", PROMPT.replace("{{ ticket }}", "{{ tier }}"))
    result = cli("check")
    assert result.code == 1
    assert result.out.splitlines() == [
        "prompts/triage/v1.md:4: variable 'ticket' is declared but never used "
        "(use {{ ticket }} in a message, or remove the declaration)",
        "prompts/triage/v1.md:9: variable 'tier' is used but not declared "
        "(declare it under 'variables:', e.g. tier: {required: true})",
    ]
    assert result.err.strip() == "promptship check: 2 errors in the project"
    assert "\033[" not in result.out


def test_json_output(project: Path, cli: CLI) -> None:
    write(project / "prompts/triage/v1.md", PROMPT.replace("{{ ticket }}", "{{ tier }}"))
    result = cli("check", "--json")
    document = json.loads(result.out)
    assert result.code == 1 and document["ok"] is False
    assert document["problems"][1] == {
        "path": "prompts/triage/v1.md",
        "line": 9,
        "severity": "error",
        "message": "variable 'tier' is used but not declared",
        "fix": "declare it under 'variables:', e.g. tier: {required: true}",
    }
    write(project / "README.md", "About.")
    clean = cli("check", "--json", "README.md")
    assert json.loads(clean.out) == {"ok": True, "problems": []}


def test_relative_files_as_pre_commit_passes_them(project: Path, cli: CLI) -> None:
    write(project / "prompts/triage/v1.md", PROMPT.replace("{{ ticket }}", "{{ tier }}"))
    result = cli("check", "prompts/triage/v1.md")
    assert result.code == 1 and "prompts/triage/v1.md:9:" in result.out
    assert "in 1 file" in result.err


def test_project_is_found_from_the_files_when_cwd_is_above_it(
    project: Path, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project.parent / ".git").mkdir()
    monkeypatch.chdir(project.parent)  # pre-commit runs from the git root of a monorepo
    write(project / "prompts/triage/v1.md", PROMPT.replace("{{ ticket }}", "{{ tier }}"))
    result = cli("check", "repo/prompts/triage/v1.md")
    assert result.code == 1 and "prompts/triage/v1.md:9:" in result.out


def test_colour_only_on_a_terminal_without_no_color(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from promptship.commands import check as command

    write(project / "prompts/triage/v1.md", PROMPT.replace("{{ ticket }}", "{{ tier }}"))
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    assert command.run([], False) == 1
    assert "\033[31m" in capsys.readouterr().out
    monkeypatch.setenv("NO_COLOR", "1")
    command.run([], False)
    assert "\033[" not in capsys.readouterr().out


def test_the_console_script_runs_check_without_the_cli_framework(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(project / "prompts/triage/v1.md", PROMPT.replace("{{ ticket }}", "{{ tier }}"))
    monkeypatch.setattr(sys, "argv", ["promptship", "check", "prompts/triage/v1.md"])
    assert launcher.main() == 1
    assert "prompts/triage/v1.md:9:" in capsys.readouterr().out
    monkeypatch.setattr(sys, "argv", ["promptship", "check", "--json"])
    assert launcher.main() == 1
    assert json.loads(capsys.readouterr().out)["ok"] is False


def test_the_console_script_reports_errors_through_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PROMPTSHIP_ROOT", raising=False)
    monkeypatch.setattr(sys, "argv", ["promptship", "check"])
    assert launcher.main() == 1
    err = capsys.readouterr().err
    assert err.startswith("error: not inside a promptship project") and "Traceback" not in err


def test_the_hook_path_imports_nothing_heavy(project: Path) -> None:
    code = (
        "import sys\n"
        "from promptship import launcher\n"
        "sys.argv = ['promptship', 'check', 'prompts/triage/v1.md']\n"
        "code = launcher.main()\n"
        "heavy = {'rich', 'git', 'openai', 'anthropic', 'deepdiff', 'typer', 'pydantic', 'httpx'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}), code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[] 0"


# --- the whole-repository cache --------------------------------------------------------------


def age(root: Path, seconds: float = 60) -> None:
    """Make every file old enough to be cached (files changed in the last second are not)."""
    for path in root.rglob("*"):
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - int(seconds * 1e9)))


def test_whole_repo_results_are_cached_and_reused(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project / "prompts/triage/v1.md", PROMPT.replace("{{ ticket }}", "{{ tier }}"))
    age(project)
    first = found(project)
    cache_file = project / ".promptship" / check_cache.FILENAME
    assert "prompts/triage/v1.md" in json.loads(cache_file.read_text())["files"]
    assert (project / ".promptship" / ".gitignore").read_text() == "*\n"

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed a cached file")

    monkeypatch.setattr("promptship.check.check_version_file", no_parse)
    assert found(project) == first  # the problems come back from the cache


def test_a_changed_file_is_checked_again(project: Path) -> None:
    age(project)
    assert found(project) == []
    path = write(project / "prompts/triage/v1.md", PROMPT.replace("{{ ticket }}", "{{ tier }}"))
    age(project, 30)  # still old enough to cache, but a different mtime than before
    assert [m for _, _, m in found(project)][-1] == "variable 'tier' is used but not declared"
    assert path.stat().st_size == len(PROMPT.replace("{{ ticket }}", "{{ tier }}"))


def test_recently_modified_files_are_not_cached(project: Path) -> None:
    found(project)
    cache_file = project / ".promptship" / check_cache.FILENAME
    files = json.loads(cache_file.read_text())["files"] if cache_file.exists() else {}
    assert "prompts/triage/v1.md" not in files


def test_a_stale_or_corrupt_cache_is_ignored(project: Path) -> None:
    write(project / "prompts/triage/v1.md", PROMPT.replace("{{ ticket }}", "{{ tier }}"))
    age(project)
    expected = found(project)
    cache_file = project / ".promptship" / check_cache.FILENAME
    document = json.loads(cache_file.read_text())
    document["files"]["prompts/triage/v1.md"][3] = []  # what a different rule set would say
    document["rules"] = "older rules"
    cache_file.write_text(json.dumps(document))
    assert found(project) == expected
    cache_file.write_text("{not json")
    assert found(project) == expected


def test_checkers_share_one_signature() -> None:
    assert check_prompts in CHECKERS
    assert check_project(Project(Path("/nonexistent/x")), None) == []
    assert Problem("a", 1, "m").format() == "a:1: m"


def test_a_cold_whole_repo_run_checks_files_in_worker_processes_with_the_same_result(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project / "prompts/triage/v2.md", PROMPT.replace("{{ ticket }}", "{{ tier }}"))
    write(project / "prompts/triage/v3.md", b"---\nmodel: [\n---\nuser:\nhi\n")
    for index in range(6):
        make_prompt(project, f"p{index}", PROMPT.replace("system:", f"system:\nPrompt {index}."))
    monkeypatch.setattr("promptship.check.PARALLEL_MIN_FILES", 10**9)
    serial = found(project)
    shutil.rmtree(project / ".promptship")
    jobs: list[object] = []
    real_map = concurrent.futures.ProcessPoolExecutor.map

    def counting_map(self: object, fn: object, *iterables: object, **kwargs: object) -> object:
        jobs.append(fn)
        return real_map(self, fn, *iterables, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(concurrent.futures.ProcessPoolExecutor, "map", counting_map)
    monkeypatch.setattr("promptship.check.PARALLEL_MIN_FILES", 2)
    assert found(project) == serial
    assert jobs, "the worker pool was not used"
    assert any("is used but not declared" in message for _, _, message in serial)
    assert any(path.endswith("triage/v3.md") for path, _, _ in serial)
