import json
import shutil
from pathlib import Path

from conftest import CLI
from lock_helpers import TRIAGE
from promptship.project import Project
from promptship.prompt import parse_prompt

TEMPLATE = """---
model: openai/gpt-4o-mini
---
user:
Variant {n}.
"""


def test_prefix_forms(examples: Path, cli: CLI) -> None:
    sha = Project(examples).load(TRIAGE, 2).sha
    for prefix in (sha, sha[7:], sha[7:11], "SHA256:" + sha[7:19].upper()):
        result = cli("which", prefix, "--json")
        assert result.code == 0, (prefix, result.err)
        found = json.loads(result.out)
        assert found["sha256"] == sha
        assert found["versions"] == [
            {"name": TRIAGE, "version": "v2", "file": f"prompts/{TRIAGE}/v2.md"}
        ]
        assert found["pinned_now"] == [] and found["pinned_in_history"] == []
    text = cli("which", sha[7:19])
    assert text.code == 0
    assert f"{TRIAGE}@v2  prompts/{TRIAGE}/v2.md" in text.out
    assert "history not searched" in text.err  # not a git repository
    for bad in ("abc", "xyz123", "sha256:", "0" * 65):
        assert cli("which", bad).code == 2, bad


def test_unknown_sha_is_a_clear_error(examples: Path, cli: CLI) -> None:
    shas = {Project(examples).load(n, v).sha[7:] for n, v in ((TRIAGE, 1), (TRIAGE, 2))}
    missing = next(p for p in ("ffff", "eeee", "dddd") if not any(s.startswith(p) for s in shas))
    result = cli("which", missing)
    assert result.code == 1
    assert f"no prompt version, pin or past pin has a SHA starting with {missing}" in result.err


def test_an_ambiguous_prefix_lists_the_candidates(examples: Path, cli: CLI) -> None:
    seen: dict[str, int] = {}
    for n in range(5000):
        sha = parse_prompt(TEMPLATE.format(n=n).encode(), path="x.md", name="x", version=1).sha
        if sha[7:11] in seen:
            first, second = seen[sha[7:11]], n
            break
        seen[sha[7:11]] = n
    for name, n in (("alpha", first), ("beta", second)):
        folder = examples / "prompts" / name
        folder.mkdir()
        (folder / "v1.md").write_text(TEMPLATE.format(n=n))
    prefix = sha[7:11]
    result = cli("which", prefix)
    assert result.code == 1
    assert f"SHA prefix {prefix} is ambiguous" in result.err
    assert "(alpha@v1)" in result.err and "(beta@v1)" in result.err
    assert "give more hex digits" in result.err
    longer = Project(examples).load("beta", 1).sha[7:23]
    assert json.loads(cli("which", longer, "--json").out)["versions"][0]["name"] == "beta"


def test_identical_versions_share_a_sha(examples: Path, cli: CLI) -> None:
    folder = examples / "prompts" / TRIAGE
    shutil.copy(folder / "v2.md", folder / "v3.md")
    sha = Project(examples).load(TRIAGE, 2).sha
    found = json.loads(cli("which", sha, "--json").out)
    assert [v["version"] for v in found["versions"]] == ["v2", "v3"]


def test_a_pin_whose_file_changed_is_still_found(examples: Path, cli: CLI) -> None:
    assert cli("promote", TRIAGE, "v1", "--env", "dev").code == 0
    sha = Project(examples).load(TRIAGE, 1).sha
    v1 = examples / "prompts" / TRIAGE / "v1.md"
    v1.write_text(v1.read_text() + "\nEdited after promotion.\n")
    result = cli("which", sha[7:19])
    assert result.code == 0, result.err
    assert "no current prompt file has this SHA" in result.out
    assert f"pinned now in dev as {TRIAGE}@v1 (stable)" in result.out
