"""`promptship init [DIR]`: a working project to start from.

Writes the files packaged under `promptship/scaffold/` (config, an example prompt with two
versions and its golden set), makes git keep prompt files LF, and ignores `.promptship/`.
It never overwrites: if any file it would create exists, it lists them and writes nothing.
A failure half-way undoes what it wrote.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

from promptship.atomic import write_atomic
from promptship.config import has_config
from promptship.errors import PromptshipError

GITATTRIBUTES_LINE = "* text=auto eol=lf"
GITIGNORE_LINE = ".promptship/"
_IGNORED_FORMS = {".promptship", ".promptship/", "/.promptship", "/.promptship/"}
EXAMPLE = "support_ticket_triage"


def scaffold_files() -> dict[str, bytes]:
    """The packaged scaffold: relative POSIX path -> content."""
    return dict(_walk(files("promptship") / "scaffold", PurePosixPath()))


def _walk(node: Traversable, at: PurePosixPath) -> Iterator[tuple[str, bytes]]:
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.is_dir():
            yield from _walk(child, at / child.name)
        elif child.is_file():
            yield str(at / child.name), child.read_bytes()


def conflicts(root: Path, planned: dict[str, bytes]) -> list[str]:
    """What already exists that init would overwrite or shadow."""
    found = [path for path in planned if (root / path).exists()]
    example = f"prompts/{EXAMPLE}"
    if (root / example).exists() and not any(p.startswith(example + "/") for p in found):
        found.append(example + "/")
    if not (root / "promptship.toml").exists() and has_config(root):
        found.append("pyproject.toml ([tool.promptship])")
    return found


def with_line(existing: str | None, line: str, present: set[str]) -> str | None:
    """`existing` with `line` appended, or None when a line in `present` is already there."""
    text = existing or ""
    if any(current.strip() in present for current in text.splitlines()):
        return None
    if text and not text.endswith("\n"):
        text += "\n"
    return text + line + "\n"


class _Writer:
    """Applies writes and remembers how to undo each, so a failure leaves nothing behind."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def create(self, path: Path, data: bytes) -> None:
        missing = [d for d in (path.parent, *path.parent.parents) if not d.exists()]
        path.parent.mkdir(parents=True, exist_ok=True)
        self._undo.extend(d.rmdir for d in reversed(missing))
        with path.open("xb") as handle:
            self._undo.append(path.unlink)
            handle.write(data)

    def replace(self, path: Path, data: bytes) -> None:
        if not path.exists():
            self.create(path, data)
            return
        old = path.read_bytes()
        write_atomic(path, data)
        self._undo.append(lambda: write_atomic(path, old))

    def rollback(self) -> None:
        for undo in reversed(self._undo):
            # Best effort: the original failure is what gets reported, not this one.
            with contextlib.suppress(OSError):
                undo()


def run(directory: Path) -> int:
    root = directory.resolve()
    if root.exists() and not root.is_dir():
        raise PromptshipError(f"{directory} is not a directory", fix="give a directory to init")
    planned = scaffold_files()
    existing = conflicts(root, planned) if root.exists() else []
    if existing:
        raise PromptshipError(
            f"init will not overwrite what exists in {directory}: {', '.join(existing)}",
            fix="run init in a new directory, or move these away first",
        )
    updates = {}
    for name, line, present in (
        (".gitattributes", GITATTRIBUTES_LINE, {GITATTRIBUTES_LINE}),
        (".gitignore", GITIGNORE_LINE, _IGNORED_FORMS),
    ):
        path = root / name
        # surrogateescape: bytes that are not UTF-8 are written back exactly as they were
        current = path.read_bytes().decode("utf-8", "surrogateescape") if path.is_file() else None
        text = with_line(current, line, present)
        if text is not None:
            updates[name] = (text, line)
    writer = _Writer()
    try:
        for relative, data in planned.items():
            writer.create(root / relative, data)
        for name, (text, _) in updates.items():
            writer.replace(root / name, text.encode("utf-8", "surrogateescape"))
    except OSError as exc:
        writer.rollback()
        shown = exc.filename or directory
        raise PromptshipError(
            f"cannot write {shown}: {exc.strerror}; nothing was changed",
            fix="check that the directory is writable and holds no file named like a folder init creates",
        ) from None
    except BaseException:
        writer.rollback()
        raise
    _report(directory, list(planned), {name: line for name, (_, line) in updates.items()})
    return 0


def _report(directory: Path, created: list[str], updated: dict[str, str]) -> None:
    for path in created:
        print(f"created {Path(directory, path).as_posix()}")
    for name, line in updated.items():
        print(f"updated {Path(directory, name).as_posix()} (+ {line})")
    steps = [] if directory.resolve() == Path.cwd().resolve() else [(f"cd {directory}", "")]
    steps += [
        ("promptship check", "validate prompts, changelogs and golden sets"),
        (f"promptship diff {EXAMPLE} v1 v2", "what v2 changed"),
        (f"promptship stats {EXAMPLE}", "tokens and cost per call"),
        (f"promptship render {EXAMPLE} --var ticket_text='I was charged twice'", ""),
        (
            f"promptship eval {EXAMPLE} --model local/gemma3-270m",
            "offline; needs promptship[local]",
        ),
        (f"promptship new {EXAMPLE}", "start v3"),
    ]
    width = max(len(command) for command, note in steps if note)
    print("\nnext steps:")
    for command, note in steps:
        print(f"  {command:<{width}}  # {note}" if note else f"  {command}")
