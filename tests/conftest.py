"""Shared fixtures: a temp copy of the bundled examples, and the CLI run in-process."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from promptship.cli import main

pytest_plugins = ["llama_fixture"]

CHECKOUT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    code: int
    out: str
    err: str


CLI = Callable[..., Result]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> CLI:
    """Run `promptship ARGS...` in this process; returns exit code, stdout and stderr."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temp project holding a copy of the bundled prompts and golden sets; cwd is inside it."""
    root = tmp_path / "project"
    root.mkdir()
    for part in ("prompts", "evals"):
        shutil.copytree(CHECKOUT / part, root / part, ignore=shutil.ignore_patterns("results"))
    monkeypatch.chdir(root)
    monkeypatch.delenv("PROMPTSHIP_ROOT", raising=False)
    return root
