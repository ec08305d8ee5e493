"""Configuration: `[tool.promptship]` in pyproject.toml, or `promptship.toml`.

This module reads and validates the top level; each section belongs to the module that owns
its concept (environments to the lockfile, providers to the providers), which validates it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promptship.errors import PromptshipError

CONFIG_FILE = "promptship.toml"
# Top-level keys and the sections other modules own.
KEYS = frozenset(("prompts_dir", "evals_dir", "environments", "providers", "judge"))


@dataclass(frozen=True)
class Config:
    path: Path | None  # where it came from, None for defaults
    prompts_dir: str = "prompts"
    evals_dir: str = "evals"
    sections: dict[str, Any] = field(default_factory=dict)

    def section(self, key: str) -> Any:
        return self.sections.get(key)


def find_config(root: Path) -> tuple[Path, dict[str, Any]] | None:
    """The config table and its file, or None when the project has none."""
    own = root / CONFIG_FILE
    if own.is_file():
        return own, _read_toml(own)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        table = _read_toml(pyproject).get("tool", {}).get("promptship")
        if table is not None:
            return pyproject, table
    return None


def has_config(directory: Path) -> bool:
    if (directory / CONFIG_FILE).is_file():
        return True
    pyproject = directory / "pyproject.toml"
    try:
        return pyproject.is_file() and "[tool.promptship" in pyproject.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def load_config(root: Path) -> Config:
    found = find_config(root)
    if found is None:
        return Config(path=None)
    path, table = found
    if not isinstance(table, dict):
        raise PromptshipError("[tool.promptship] must be a table", where=str(path))
    for key in table:
        if key not in KEYS:
            import difflib

            close = difflib.get_close_matches(key, sorted(KEYS), n=1)
            raise PromptshipError(
                f"unknown configuration key {key!r}",
                where=str(path),
                fix=f"did you mean {close[0]!r}?"
                if close
                else f"known keys: {', '.join(sorted(KEYS))}",
            )
    dirs = {}
    for key in ("prompts_dir", "evals_dir"):
        value = table.get(key, key.removesuffix("_dir"))
        if (
            not isinstance(value, str)
            or not value
            or Path(value).is_absolute()
            or ".." in Path(value).parts
        ):
            raise PromptshipError(
                f"{key} must be a relative path inside the project, got {value!r}",
                where=str(path),
                fix=f'e.g. {key} = "{key.removesuffix("_dir")}"',
            )
        dirs[key] = value
    sections = {k: v for k, v in table.items() if k not in dirs}
    return Config(path=path, sections=sections, **dirs)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PromptshipError(
            f"invalid TOML: {exc}", where=str(path), fix="fix the TOML syntax"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptshipError(f"cannot read configuration: {exc}", where=str(path)) from None
