"""Bad input never produces a traceback: each case in tests/bad_inputs/ gives one clear line.

A file case `NAME.md` / `NAME.yaml` becomes `prompts/bad/v1.<ext>` (with a valid CHANGELOG);
a folder case is copied into `prompts/`. Each runs the real `promptship check` (and `show` /
`render` where the file cannot be loaded at all) and must exit 1 with the expected message
at the expected `file:line`, and never print a traceback.
"""

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import CLI

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
LOG = "# bad\n\n## v1 - 2026-01-01\nFirst.\n"


@dataclass(frozen=True)
class Case:
    fragment: str
    line: int | None  # None: the problem is about the whole file or folder
    loads: bool = False  # True: the version parses, so only check (not show/render) fails
    where: str | None = None  # for folder cases: the path the problem names


FILE_CASES: dict[str, Case] = {
    "malformed_yaml.yaml": Case("invalid YAML: did not find expected ',' or ']'", 3),
    "malformed_front_matter.md": Case("invalid YAML", 4),
    "duplicate_key.yaml": Case("duplicate key 'model'", 3),
    "duplicate_variable.md": Case("duplicate key 'text'", 5),
    "unknown_key.md": Case("unknown key 'modle' (did you mean 'model'?)", 2),
    "unknown_variable_key.md": Case("unknown key 'requird' (did you mean 'required'?)", 4),
    "messages_in_front_matter.md": Case("unknown key 'messages' (messages go in the body)", 3),
    "params_not_mapping.md": Case("'params' must be a mapping, got a list", 3),
    "variables_not_mapping.yaml": Case("'variables' must be a mapping, got a list", 2),
    "required_not_bool.md": Case("'required' of 'text' must be true or false", 4),
    "default_is_a_list.md": Case("default of 'text' must be text, a number or a boolean", 4),
    "required_and_default.md": Case("variable 'text' is required and has a default", 4),
    "invalid_variable_name.md": Case("invalid variable name 'ticket-text'", 4),
    "unknown_role.yaml": Case("unknown role 'tool' (role is one of system, user, assistant)", 4),
    "message_without_content.yaml": Case("message 1 (user) needs non-empty text 'content'", 3),
    "messages_not_a_list.yaml": Case("'messages' must be a non-empty list", 2),
    "top_level_list.yaml": Case("expected a mapping of keys, got a list", 1),
    "missing_model.md": Case("missing 'model'", 2),
    "model_without_provider.md": Case("model must look like 'provider/name', got 'gpt-4o'", 2),
    "unknown_output_format.md": Case("unknown output format 'xml'", 3),
    "empty.md": Case("empty prompt file", None),
    "whitespace_only.yaml": Case("empty prompt file", None),
    "front_matter_only.md": Case("no messages after the front matter", 4),
    "front_matter_not_closed.md": Case("front matter is not closed", 1),
    "no_front_matter.md": Case("missing front matter", 1),
    "empty_message.md": Case("empty user message", 6),
    "binary.md": Case("binary file (contains NUL bytes)", None),
    "utf16.md": Case("file is UTF-16", None),
    "invalid_utf8.md": Case("invalid UTF-8 (byte 0xe9)", 5),
    "yaml_tag.yaml": Case("YAML tags (!...) are not allowed", 1),
    "yaml_local_tag.md": Case("YAML tags (!...) are not allowed", 2),
    "yaml_anchor.yaml": Case("YAML anchors and aliases (&, *) are not allowed", 2),
    "yaml_alias_bomb.yaml": Case("YAML anchors and aliases (&, *) are not allowed", 2),
    "yaml11_no.md": Case("YAML 1.1 reads 'no' as a boolean", 4),
    "yaml11_on.yaml": Case("YAML 1.1 reads 'on' as a boolean", 2),
    "yaml11_octal.yaml": Case("YAML 1.1 reads '0755' as a number", 2),
    "yaml11_date.md": Case("YAML 1.1 reads '2026-01-01' as a date", 4),
    "yaml11_sexagesimal.yaml": Case("YAML 1.1 reads '1:30' as a number", 2),
    "yaml12_exponent.md": Case("YAML 1.1 reads '1e-3' as text", 3),
    "non_string_key.yaml": Case("mapping keys must be strings", 2),
    "integer_too_large.yaml": Case(
        "param 'seed': integer 99999999999999999999 is outside the exact range", 2
    ),
    "nan_param.md": Case("param 'temperature': nan has no JSON form", 3),
    "two_documents.yaml": Case("invalid YAML: but found another document", 3),
    "template_syntax.md": Case("template syntax error: Unexpected end of template", 7, True),
    "undeclared_variable.md": Case("variable 'tier' is used but not declared", 8, True),
    "unused_variable.md": Case("variable 'tier' is declared but never used", 5, True),
    "secret_openai.md": Case("an OpenAI API key in the text (sk-proj-****u8Yy)", 7, True),
    "secret_aws.yaml": Case("an AWS access key id in the text (AKIA****B1N6)", 4, True),
    "bidi_override.md": Case("bidi control character in the text: U+202E", 7, True),
    "zero_width_space.md": Case(
        "invisible character in the text: U+200B ZERO WIDTH SPACE", 7, True
    ),
    "not_nfc.md": Case("text is not Unicode NFC", 7, True),
}

FOLDER_CASES: dict[str, Case] = {
    "changelog_missing_entry": Case("no entry for v2", 3, True, "prompts/triage/CHANGELOG.md"),
    "changelog_extra_entry": Case(
        "entry for v2, but triage has no v2", 3, True, "prompts/triage/CHANGELOG.md"
    ),
    "changelog_stub": Case(
        "entry for v2 is still the stub written by `promptship new`",
        4,
        True,
        "prompts/triage/CHANGELOG.md",
    ),
    "changelog_duplicate_entry": Case(
        "second entry for v2 (the first is on line 3)", 9, True, "prompts/triage/CHANGELOG.md"
    ),
    "changelog_empty_entry": Case("empty entry for v2", 3, True, "prompts/triage/CHANGELOG.md"),
    "changelog_bad_heading": Case(
        "changelog heading '## Version 1 (January)' is not a version entry",
        3,
        True,
        "prompts/triage/CHANGELOG.md",
    ),
    "no_changelog": Case("no CHANGELOG.md in this prompt folder", None, True, "prompts/triage"),
    "version_zero_padded": Case(
        "'v01.md' is not a version file (rename it to v1.md)",
        None,
        True,
        "prompts/triage/v01.md",
    ),
    "version_yml": Case(
        "'v1.yml' is not a version file (rename it to v1.yaml)", None, True, "prompts/triage/v1.yml"
    ),
    "version_uppercase": Case(
        "'V1.md' is not a version file (rename it to v1.md)", None, True, "prompts/triage/V1.md"
    ),
    "stray_file": Case("'notes.txt' is not a version file", None, True, "prompts/triage/notes.txt"),
    "two_files_one_version": Case(
        "v1 exists twice: v1.md and v1.yaml", None, True, "prompts/triage/v1.yaml"
    ),
    "noop_version": Case("v2 sends exactly what v1 sends", None, True, "prompts/triage/v2.md"),
    "bad_name": Case(
        "invalid prompt name 'Support Triage' (rename the folder to 'support_triage'",
        None,
        True,
        "prompts/Support Triage",
    ),
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / "prompts").mkdir(parents=True)
    monkeypatch.chdir(root)
    monkeypatch.delenv("PROMPTSHIP_ROOT", raising=False)
    return root


def assert_clean_failure(result_out: str, result_err: str) -> None:
    assert "Traceback" not in result_out + result_err
    assert "unexpected error" not in result_err


def test_the_corpus_and_the_table_agree() -> None:
    on_disk = {p.name for p in CORPUS.iterdir()}
    assert on_disk == set(FILE_CASES) | set(FOLDER_CASES)


@pytest.mark.parametrize("name", sorted(FILE_CASES))
def test_bad_file(project: Path, cli: CLI, name: str) -> None:
    case = FILE_CASES[name]
    ext = name.rsplit(".", 1)[1]
    target = project / "prompts" / "bad" / f"v1.{ext}"
    target.parent.mkdir()
    shutil.copyfile(CORPUS / name, target)
    (target.parent / "CHANGELOG.md").write_text(LOG, "utf-8")
    where = f"prompts/bad/v1.{ext}" + (f":{case.line}" if case.line else "")

    result = cli("check")
    assert result.code == 1, result.out
    assert_clean_failure(result.out, result.err)
    assert f"{where}: {case.fragment}" in result.out
    assert result.out.count("\n") == 1, "one clear line per problem, one problem here"

    file_only = cli("check", f"prompts/bad/v1.{ext}")
    assert file_only.code == 1 and f"{where}: {case.fragment}" in file_only.out

    if not case.loads:
        for args in (("show", "bad@v1"), ("render", "bad@v1", "--var", "text=x")):
            other = cli(*args)
            assert other.code == 1, args
            assert_clean_failure(other.out, other.err)
            assert other.err.startswith(f"error: {where}: {case.fragment}"), args


@pytest.mark.parametrize("name", sorted(FOLDER_CASES))
def test_bad_folder(project: Path, cli: CLI, name: str) -> None:
    case = FOLDER_CASES[name]
    shutil.copytree(CORPUS / name, project / "prompts", dirs_exist_ok=True)
    where = f"{case.where}" + (f":{case.line}" if case.line else "")
    result = cli("check")
    assert result.code == 1, result.out
    assert_clean_failure(result.out, result.err)
    assert f"{where}: {case.fragment}" in result.out


def test_a_huge_file_is_refused_without_reading_it_as_a_prompt(project: Path, cli: CLI) -> None:
    folder = project / "prompts" / "bad"
    folder.mkdir()
    (folder / "CHANGELOG.md").write_text(LOG, "utf-8")
    huge = "---\nmodel: openai/gpt-4o\n---\n" + ("All work and no play. " * 50 + "\n") * 9_500
    (folder / "v1.md").write_text(huge, "utf-8")
    assert (folder / "v1.md").stat().st_size > 10_000_000
    for args in (("check",), ("show", "bad@v1"), ("render", "bad@v1")):
        result = cli(*args)
        assert result.code == 1, args
        assert_clean_failure(result.out, result.err)
        assert "prompts/bad/v1.md: file is too large (10.5 MB; the limit is 1 MB)" in (
            result.out + result.err
        )


@pytest.mark.parametrize("folder", ["UPPER", "a..b", "v1.0", "has space", "tab\tname", "é"])
def test_bad_prompt_folder_names(project: Path, cli: CLI, folder: str) -> None:
    shutil.copytree(CORPUS / "stray_file" / "triage", project / "prompts" / folder)
    (project / "prompts" / folder / "notes.txt").unlink()
    result = cli("check")
    assert result.code == 1
    assert_clean_failure(result.out, result.err)
    assert f"prompts/{folder}: invalid prompt name {folder!r}" in result.out


@pytest.mark.parametrize(
    "ref", ["../etc/passwd", "/etc/passwd", "bad/../../x", "Bad", "a b", "x@v0", "x@@v1", ""]
)
def test_path_traversal_and_bad_references(project: Path, cli: CLI, ref: str) -> None:
    for command in ("show", "render", "sha"):
        result = cli(command, ref)
        assert result.code in (1, 2), (command, ref)
        assert_clean_failure(result.out, result.err)
        assert result.err.startswith(("error:", "Usage:")), result.err


def test_a_symlink_out_of_the_repository_is_not_followed(
    project: Path, cli: CLI, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("---\nmodel: openai/gpt-4o\n---\nTop secret text\n", "utf-8")
    folder = project / "prompts" / "bad"
    folder.mkdir()
    (folder / "CHANGELOG.md").write_text(LOG, "utf-8")
    (folder / "v1.md").symlink_to(outside)
    result = cli("check")
    assert result.code == 1
    assert "prompts/bad/v1.md: not a regular file" in result.out
    assert "Top secret" not in result.out


def test_a_broken_changelog_file_is_one_line(project: Path, cli: CLI) -> None:
    shutil.copytree(CORPUS / "stray_file" / "triage", project / "prompts" / "triage")
    (project / "prompts/triage/notes.txt").unlink()
    (project / "prompts/triage/CHANGELOG.md").write_bytes(b"# triage\n## v1\ncaf\xe9\n")
    result = cli("check")
    assert result.code == 1
    assert (
        result.out
        == "prompts/triage/CHANGELOG.md:3: invalid UTF-8 (byte 0xe9) (save the file as UTF-8)\n"
    )
