"""The `promptship-lock` hook under the real pre-commit framework.

`pre-commit try-repo` installs this checkout into a fresh virtualenv, as a user's
`.pre-commit-config.yaml` would, and runs the hook in a user's repository whose pinned prompt
file was edited after promotion. One call (each installs anew).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lock_helpers import TRIAGE, init_repo
from promptship.cli import main

CHECKOUT = Path(__file__).resolve().parent.parent
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"


def test_lock_hook_fails_when_a_pinned_file_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "app"
    repo.mkdir()
    for part in ("prompts", "evals"):
        shutil.copytree(CHECKOUT / part, repo / part, ignore=shutil.ignore_patterns("results"))
    init_repo(repo)
    monkeypatch.chdir(repo)
    monkeypatch.delenv("PROMPTSHIP_ROOT", raising=False)
    assert main(["promote", TRIAGE, "v1", "--env", "dev", "--commit"]) == 0
    v1 = repo / "prompts" / TRIAGE / "v1.md"
    v1.write_text(v1.read_text().replace("classifier", "classifier bot"))
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    env.pop("PROMPTSHIP_ROOT", None)
    done = subprocess.run(
        [str(PRE_COMMIT), "try-repo", str(CHECKOUT), "promptship-lock", "--all-files"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert "promptship lock --check" in done.stdout and "Failed" in done.stdout
    assert f"{TRIAGE}@v1 is pinned in dev as sha256:" in said
    assert f"create the next version with `promptship new {TRIAGE}`" in said
    assert "Traceback" not in said
