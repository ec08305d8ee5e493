"""The user's repository: where it is, its configuration, and the prompt files in it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from promptship.config import Config, has_config, load_config
from promptship.errors import PromptshipError
from promptship.names import VERSION_FILE_RE, check_name
from promptship.prompt import PromptVersion, parse_prompt

LOCKFILE = "prompts.lock"
CHANGELOG = "CHANGELOG.md"


@dataclass
class PromptDir:
    """A folder under prompts/ holding version files."""

    name: str
    path: Path
    files: dict[int, list[Path]] = field(
        default_factory=dict
    )  # two files for one version is an error
    strays: list[Path] = field(
        default_factory=list
    )  # files that are neither versions nor the changelog

    @property
    def versions(self) -> list[int]:
        return sorted(self.files)


class Project:
    def __init__(self, root: Path, config: Config | None = None) -> None:
        self.root = root
        self.config = config if config is not None else load_config(root)
        self._scan: dict[str, PromptDir] | None = None
        self._loaded: dict[tuple[str, int], PromptVersion] = {}

    @classmethod
    def find(cls, start: Path | None = None) -> Project:
        """The project containing `start` (default: $PROMPTSHIP_ROOT or the working directory)."""
        env_root = os.environ.get("PROMPTSHIP_ROOT")
        here = (start or Path(env_root or ".")).resolve()
        for directory in (here, *here.parents):
            if (
                has_config(directory)
                or (directory / LOCKFILE).is_file()
                or (directory / "prompts").is_dir()
            ):
                return cls(directory)
        raise PromptshipError(
            f"not inside a promptship project: {here}",
            fix="run `promptship init` here, or cd into a repository with a prompts/ directory",
        )

    @property
    def prompts_path(self) -> Path:
        return self.root / self.config.prompts_dir

    @property
    def evals_path(self) -> Path:
        return self.root / self.config.evals_dir

    @property
    def lock_path(self) -> Path:
        return self.root / LOCKFILE

    def rel(self, path: Path) -> str:
        """A path as shown to users: relative to the project root, with '/'."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def scan(self) -> dict[str, PromptDir]:
        """Every prompt folder by name (names may be invalid; `check` reports them)."""
        if self._scan is None:
            found: dict[str, PromptDir] = {}
            if self.prompts_path.is_dir():
                self._walk(self.prompts_path, found)
            self._scan = dict(sorted(found.items()))
        return self._scan

    def _walk(self, directory: Path, found: dict[str, PromptDir]) -> None:
        prompt, subdirs = self._read(directory)
        if prompt is not None and directory != self.prompts_path:
            found[prompt.name] = prompt
        for sub in subdirs:
            self._walk(sub, found)

    def read_dir(self, directory: Path) -> PromptDir | None:
        """One folder under prompts/ without scanning the others; None if it holds no files."""
        try:
            return self._read(directory)[0]
        except (FileNotFoundError, NotADirectoryError):
            return None

    def _read(self, directory: Path) -> tuple[PromptDir | None, list[Path]]:
        prompt: PromptDir | None = None
        subdirs = []
        with os.scandir(directory) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.is_dir(follow_symlinks=False):
                    if not entry.name.startswith("."):
                        subdirs.append(Path(entry.path))
                    continue
                if prompt is None:
                    name = directory.relative_to(self.prompts_path).as_posix()
                    prompt = PromptDir(name, directory)
                match = VERSION_FILE_RE.fullmatch(entry.name)
                if match:
                    prompt.files.setdefault(int(match.group(1)), []).append(Path(entry.path))
                elif entry.name != CHANGELOG:
                    prompt.strays.append(Path(entry.path))
        return prompt, subdirs

    def names(self) -> list[str]:
        return [n for n, d in self.scan().items() if d.files]

    def prompt_dir(self, name: str) -> PromptDir:
        check_name(name)
        if self._scan is not None:
            found = self._scan.get(name)
        else:  # one folder: commands on one prompt stay fast in a large repository
            found = self.read_dir(self.prompts_path / name)
        if found is None or not found.files:
            import difflib

            close = difflib.get_close_matches(name, self.names(), n=1)
            raise PromptshipError(
                f"no prompt named {name!r} in {self.rel(self.prompts_path)}/",
                fix=f"did you mean {close[0]!r}?"
                if close
                else "run `promptship list` to see the prompts",
            )
        return found

    def version_path(self, name: str, version: int) -> Path:
        files = self.prompt_dir(name).files.get(version)
        if not files:
            raise PromptshipError(
                f"{name} has no version v{version}",
                fix=f"versions: {', '.join(f'v{v}' for v in self.prompt_dir(name).versions)}",
            )
        if len(files) > 1:
            raise PromptshipError(
                f"{name}@v{version} exists twice: {', '.join(self.rel(f) for f in files)}",
                fix="keep one file per version",
            )
        return files[0]

    def latest(self, name: str) -> int:
        return self.prompt_dir(name).versions[-1]

    def load(self, name: str, version: int) -> PromptVersion:
        key = (name, version)
        if key not in self._loaded:
            path = self.version_path(name, version)
            self._loaded[key] = self.load_file(path, name, version)
        return self._loaded[key]

    def load_file(self, path: Path, name: str, version: int) -> PromptVersion:
        display = self.rel(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PromptshipError(f"cannot read file: {exc.strerror}", where=display) from None
        return parse_prompt(data, path=display, name=name, version=version)
