"""The `promptship-check` hook under the real pre-commit framework.

`pre-commit try-repo` installs this checkout (HEAD plus its uncommitted changes) into a fresh
virtualenv, exactly as a user's `.pre-commit-config.yaml` would, and runs the hook inside a
user's git repository. Each call installs anew (try-repo uses a throwaway store), so the
test makes two calls: one on a good change, one on a bad change.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parent.parent
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def user_repo(tmp_path: Path) -> Path:
    """A user's repository: the bundled examples, committed."""
    repo = tmp_path / "app"
    repo.mkdir()
    for part in ("prompts", "evals"):
        shutil.copytree(CHECKOUT / part, repo / part, ignore=shutil.ignore_patterns("results"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "dev@example.com")
    git(repo, "config", "user.name", "Dev")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "prompts")
    return repo


def try_repo(repo: Path, *files: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home"),
        "NO_COLOR": "1",
    }
    env.pop("PROMPTSHIP_ROOT", None)
    command = [str(PRE_COMMIT), "try-repo", str(CHECKOUT), "promptship-check", "--files", *files]
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=1200)


def test_hook_passes_a_good_change_and_fails_a_bad_one(user_repo: Path) -> None:
    folder = user_repo / "prompts" / "support_ticket_triage"
    v3 = folder / "v3.md"
    v3.write_text(
        (folder / "v2.md").read_text().replace("in lowercase.", "in lowercase, one word."),
        "utf-8",
    )
    changelog = folder / "CHANGELOG.md"
    changelog.write_text(
        changelog.read_text().replace(
            "\n## v2", "\n## v3 - 2026-12-01\nAsk for a one-word answer.\n\n## v2", 1
        ),
        "utf-8",
    )
    git(user_repo, "add", ".")
    changed = ["prompts/support_ticket_triage/v3.md", "prompts/support_ticket_triage/CHANGELOG.md"]

    good = try_repo(user_repo, *changed)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "promptship check" in good.stdout and "Passed" in good.stdout

    lines = v3.read_text().splitlines()
    number = lines.index("user:")  # the line above it becomes line `number` (1-based)
    lines[number - 1] += " Region: {{ region }}"
    v3.write_text("\n".join(lines) + "\n", "utf-8")
    git(user_repo, "add", ".")

    bad = try_repo(user_repo, *changed)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout
    assert (
        f"prompts/support_ticket_triage/v3.md:{number}: variable 'region' is used but not declared"
        in bad.stdout
    )
    assert "Traceback" not in bad.stdout + bad.stderr
