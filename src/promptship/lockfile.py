"""`prompts.lock` on disk: read and verify it, and change it safely.

Every change is a read-modify-write under an exclusive `flock` held across the whole
transaction, and the new text replaces the old atomically (`atomic.write_atomic`), so
concurrent promotions never lose an update and a reader never sees a torn file. Readers take
no lock: the rename makes each read see one whole version of the file.

A lockfile that does not parse or validate is reported with `file:line` and never written.
"""

from __future__ import annotations

import fcntl
import hashlib
import marshal
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promptship import atomic, lockformat, strict_yaml
from promptship.check_cache import CheckCache
from promptship.errors import Problem, PromptshipError, where
from promptship.lockformat import BROKEN_FIX, Pin, Pins
from promptship.project import Project
from promptship.state import STATE_DIR, state_dir

LOCK_FILE = "prompts.lock.lock"  # what writers flock; its content is the holder's pid
CACHE_FILE = "prompts.lock.cache"
CACHE_FORMAT = 1
LOCK_TIMEOUT_S = 60.0


@dataclass
class Lockfile:
    """The parsed lockfile; `pins` may be changed inside a `transaction`."""

    path: Path
    shown: str
    pins: Pins
    text: str | None  # None when there is no lockfile yet
    _lines: strict_yaml.Lines | None = field(default=None, repr=False)

    def pin(self, env: str, name: str) -> Pin | None:
        return self.pins.get(env, {}).get(name)

    def line(self, env: str, name: str | None = None, key: str | None = None) -> int | None:
        """The line of a pin (or one of its keys), for messages; parses again only when asked."""
        if self.text is None:
            return None
        if self._lines is None:
            self._lines = {}
            strict_yaml.load(self.text, self.shown, lines=self._lines)
        at: tuple[str, ...] = tuple(p for p in ("environments", env, name, key) if p is not None)
        line = self._lines.get(at)
        if line and key is None and line >= 2:
            # A block mapping's recorded line is its first entry; point at its key instead.
            above = self.text.splitlines()[line - 2].strip()
            if above.endswith(":") and above[:-1].strip("\"'") == at[-1]:
                return line - 1
        return line

    def where(self, env: str, name: str | None = None, key: str | None = None) -> str:
        return where(self.shown, self.line(env, name, key))


def read(project: Project) -> Lockfile:
    """The lockfile, structurally valid and naming only configured environments."""
    lockfile = _read_structure(project)
    problems = environment_problems(project, lockfile)
    if problems:
        first = problems[0]
        raise PromptshipError(first.message, where=where(first.path, first.line), fix=first.fix)
    return lockfile


def _read_structure(project: Project) -> Lockfile:
    path = project.lock_path
    shown = project.rel(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Lockfile(path, shown, {}, None)
    except OSError as exc:
        raise PromptshipError(f"cannot read the lockfile: {exc.strerror}", where=shown) from None
    text = _decode(data, shown)
    digest = hashlib.sha256(data).hexdigest()
    cached = _cache_get(project, digest)
    if cached is not None:
        try:
            return Lockfile(path, shown, lockformat.from_trusted(cached), text)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            pass  # not what this version of promptship caches: parse the file
    lines: strict_yaml.Lines = {}
    try:
        raw = strict_yaml.load(text, shown, lines=lines) if text.strip() else None
    except PromptshipError as exc:
        raise PromptshipError(exc.message, where=exc.where, fix=BROKEN_FIX) from None
    if raw is None:
        raise PromptshipError("the lockfile is empty", where=shown, fix=BROKEN_FIX)
    pins = lockformat.from_data(raw, shown, lines)
    _cache_put(project, digest, raw)
    return Lockfile(path, shown, pins, text, lines)


def _decode(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PromptshipError(
            f"invalid UTF-8 (byte 0x{data[exc.start]:02x})",
            where=where(shown, line),
            fix=BROKEN_FIX,
        ) from None


def environment_problems(project: Project, lockfile: Lockfile) -> list[Problem]:
    """Environments in the lockfile that the configuration does not define."""
    from promptship.environments import load_environments

    known = load_environments(project)
    problems = []
    for env in lockfile.pins:
        if env not in known:
            source = project.rel(project.config.path) if project.config.path else "the defaults"
            problems.append(
                Problem(
                    lockfile.shown,
                    lockfile.line(env),
                    f"unknown environment {env!r} (configured: {', '.join(known)} from {source})",
                    f"configure [tool.promptship.environments.{env}] or {BROKEN_FIX.split(': ', 1)[1]}",
                )
            )
    return problems


def where_pinned(
    project: Project,
) -> tuple[dict[tuple[str, int], list[dict[str, Any]]], str | None]:
    """Where each version is pinned now, in environment display order, for `list` and `show`.

    `{("triage", 2): [{"env": "production", "role": "stable"}, {"env": "dev", "role":
    "canary", "weight": 10}]}`; a broken lockfile gives nothing and its error as a warning.
    """
    from promptship.environments import load_environments

    try:
        order = list(load_environments(project))
        pins = read(project).pins
    except PromptshipError as exc:
        return {}, exc.format()
    found: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for env in sorted(pins, key=order.index):
        for name, pin in pins[env].items():
            found.setdefault((name, pin.version), []).append({"env": env, "role": "stable"})
            if pin.canary is not None:
                found.setdefault((name, pin.canary.version), []).append(
                    {"env": env, "role": "canary", "weight": pin.canary.weight}
                )
    return found, None


def describe_pins(uses: list[dict[str, Any]]) -> str:
    """`production, dev (canary 10%)`."""
    return ", ".join(
        u["env"] + (f" (canary {u['weight']}%)" if u["role"] == "canary" else "") for u in uses
    )


def pinned_version(project: Project, env: str, name: str) -> int:
    """The stable version `env` serves for `name` (what `NAME@ENV` means), verified."""
    from promptship.environments import get_environment

    get_environment(project, env)
    lockfile = read(project)
    pin = lockfile.pin(env, name)
    if pin is None:
        project.prompt_dir(name)  # an unknown prompt is the better error
        raise PromptshipError(
            f"nothing is pinned for {name} in {env}",
            fix=f"promote a version with `promptship promote {name} vN --env {env}`",
        )
    problems = sha_problems(project, lockfile, {name}, envs={env})
    if problems:
        first = problems[0]
        raise PromptshipError(first.message, where=where(first.path, first.line), fix=first.fix)
    return pin.version


def sha_problems(
    project: Project,
    lockfile: Lockfile,
    names: set[str] | None = None,
    *,
    envs: set[str] | None = None,
    files: set[Path] | None = None,
) -> list[Problem]:
    """Pinned versions (stable and canary) whose file is missing or no longer hashes to the pin.

    Pinned versions are immutable: the fix is always a new version.
    """
    pinned: dict[tuple[str, int], list[tuple[str, str, str]]] = {}
    for env, named in lockfile.pins.items():
        if envs is not None and env not in envs:
            continue
        for name, pin in named.items():
            if names is not None and name not in names:
                continue
            pinned.setdefault((name, pin.version), []).append((env, pin.sha256, "version"))
            if pin.canary is not None:
                pinned.setdefault((name, pin.canary.version), []).append(
                    (env, pin.canary.sha256, "canary")
                )
    problems: list[Problem] = []
    cache = CheckCache.open(project.root) if len(pinned) > _CACHE_FROM else None
    for (name, number), uses in sorted(pinned.items()):
        env, expected, _ = uses[0]
        try:
            path, shown = _version_file(project, name, number)
        except PromptshipError:
            problems.append(
                Problem(
                    lockfile.shown,
                    lockfile.line(env, name),
                    f"{env} pins {name}@v{number}, which does not exist",
                    "pinned versions are immutable: restore the file from git",
                )
            )
            continue
        if files is not None and path.resolve() not in files:
            continue
        try:
            actual = _current_sha(project, name, number, path, shown, cache)
        except PromptshipError as exc:
            problems.append(
                Problem(
                    shown,
                    None,
                    f"{name}@v{number} is pinned ({lockfile.where(env, name)}) but no longer parses: "
                    f"{exc.message}",
                    f"pinned versions are immutable: restore it with `git checkout -- {shown}`, "
                    f"and create the next version with `promptship new {name}`",
                )
            )
            continue
        for env, expected, _ in uses:
            if actual != expected:
                problems.append(
                    Problem(
                        shown,
                        None,
                        f"{name}@v{number} is pinned in {env} as {expected} ({lockfile.where(env, name)}) "
                        f"but the file now hashes to {actual}",
                        f"pinned versions are immutable: restore it with `git checkout -- {shown}`, "
                        f"and create the next version with `promptship new {name}`",
                    )
                )
    return problems


# Above this many pinned versions, SHAs come from `check`'s cache when the file is unchanged.
_CACHE_FROM = 50


def _version_file(project: Project, name: str, number: int) -> tuple[Path, str]:
    """The file of `name@v<number>` and its shown path, by two stats when the layout is plain."""
    prompts = project.config.prompts_dir
    root = str(project.root)
    # Two files for one version is a problem `check` reports; here the first one is used.
    for suffix in (".md", ".yaml"):
        shown = f"{prompts}/{name}/v{number}{suffix}"
        if os.path.isfile(f"{root}/{shown}") and "." not in prompts.split("/"):
            return project.root / shown, shown
    path = project.version_path(name, number)  # the precise answer, or the precise error
    return path, project.rel(path)


def _current_sha(
    project: Project, name: str, number: int, path: Path, shown: str, cache: CheckCache | None
) -> str:
    """The SHA of a version file: `check`'s cached one if the file is unchanged, else computed."""
    if cache is not None:
        try:
            cached = cache.get(shown, path.lstat())
        except OSError:
            cached = None
        if cached is not None and cached.sha is not None:
            return cached.sha
    return project.load(name, number).sha


def check_problems(project: Project, files: set[Path] | None) -> list[Problem]:
    """The `check` rule: the lockfile parses, names known environments, and pins are intact."""
    lock_path = project.lock_path
    if not lock_path.is_file():
        return []
    whole = files is None or lock_path.resolve() in files
    if not whole and files is not None:
        prompts = project.prompts_path.resolve()
        if not any(prompts in f.parents for f in files):
            return []
    try:
        lockfile = _read_structure(project)
    except PromptshipError as exc:
        return [Problem.from_error(exc, project.rel(lock_path))]
    problems = environment_problems(project, lockfile)
    problems.extend(sha_problems(project, lockfile, files=None if whole else files))
    return problems


# --- changing the lockfile -----------------------------------------------------------------


@contextmanager
def transaction(project: Project) -> Iterator[Lockfile]:
    """Hold the write lock, yield the current lockfile, and write its `pins` back if changed.

    Any exception inside leaves the file untouched.
    """
    with exclusive(project):
        lockfile = read_for_update(project)
        yield lockfile
        save(project, lockfile)


def read_for_update(project: Project) -> Lockfile:
    """The lockfile, with every pin verified (call only inside `exclusive`).

    A lockfile with a pin whose file no longer hashes to it is broken, and is not written.
    """
    lockfile = read(project)
    problems = sha_problems(project, lockfile)
    if problems:
        first = problems[0]
        raise PromptshipError(first.message, where=where(first.path, first.line), fix=first.fix)
    return lockfile


def save(project: Project, lockfile: Lockfile) -> bool:
    """Write `lockfile.pins` if they changed (call only inside `exclusive`); True if written."""
    raw = lockformat.raw_data(lockfile.pins)
    text = lockformat.render_raw(raw)
    if text == lockfile.text:
        return False
    write(project, raw, text)
    lockfile.text = text
    lockfile._lines = None
    return True


def write(project: Project, raw: dict[str, Any], text: str) -> None:
    """Replace the lockfile with `text`, the rendering of `raw` (call only inside `exclusive`)."""
    data = text.encode("utf-8")
    atomic.remove_stale_temps(project.lock_path)
    atomic.write_atomic(project.lock_path, data)
    # `raw` is what strict_yaml.load reads back from `text` (a test checks they are equal).
    _cache_put(project, hashlib.sha256(data).hexdigest(), raw)


@contextmanager
def exclusive(project: Project, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the exclusive write lock on the lockfile.

    `flock` locks belong to the open file description: the kernel releases them when the
    holder closes the file or dies, even by SIGKILL. So a lock left by a crashed process
    never blocks anyone, and the lock file itself can stay on disk; there is nothing stale
    to detect or break.
    """
    fd = os.open(state_dir(project.root) / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        pause = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                    raise PromptshipError(
                        f"another promptship process (pid {holder or '?'}) has held the "
                        f"lockfile for over {timeout:.0f} s",
                        where=project.rel(project.lock_path),
                        fix="wait for it to finish, or stop it",
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


# --- the parse cache -----------------------------------------------------------------------
# Parsing a lockfile with thousands of pins strictly takes most of a second; the parsed form
# of the last lockfile read or written is kept under .promptship/, keyed by the SHA-256 of
# the file's bytes, so only a changed file is parsed again.


def _cache_path(project: Project) -> Path:
    return project.root / STATE_DIR / CACHE_FILE


def _cache_get(project: Project, digest: str) -> Any:
    try:
        cached = marshal.loads(_cache_path(project).read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if isinstance(cached, tuple) and cached[:3] == (CACHE_FORMAT, sys.version, digest):
        return cached[3]
    return None


def _cache_put(project: Project, digest: str, raw: Any) -> None:
    # marshal: the fastest (de)serialiser for plain data; its format is tied to the Python
    # version, which is part of the key.
    document = (CACHE_FORMAT, sys.version, digest, raw)
    try:
        state_dir(project.root)
        atomic.write_atomic(_cache_path(project), marshal.dumps(document), durable=False)
    except (OSError, ValueError):
        pass  # the cache is an optimisation only
