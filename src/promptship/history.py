"""What the lockfile's git history says: every promotion, and what was live at a moment.

One `git log` lists the commits that touched `prompts.lock` and one `git cat-file --batch`
pipe streams their versions of it, so a history of thousands of commits costs two git
processes. Each commit's pins are compared with its parents' pins: a pin that differs from
every parent's is a promotion made in that commit (so a merge reports only what it changed
itself, not the promotions it brought in from the other branch).

`live` answers from the first-parent history of HEAD: a pin is live from the moment the
commit that wrote it landed on the current branch (its committer date), which is when a
deployment from that branch could first have served it.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from promptship import lockfile, lockformat, strict_yaml
from promptship.errors import PromptshipError
from promptship.lockformat import Pin, Pins
from promptship.project import Project
from promptship.sha import SCHEME

_PREFIX = (
    f"{lockformat.HEADER}format_version: {lockformat.FORMAT_VERSION}\n"
    f"sha_scheme: {SCHEME}\nenvironments:\n"
)
_ENV_SPLIT = re.compile(r"^(?=  [^ \n])", re.M)
_PIN_SPLIT = re.compile(r"^(?=    [^ \n])", re.M)
_SHALLOW = re.compile(r"\n(?! {6})(?=.)")  # a line inside a pin that is not indented 6+


@dataclass(frozen=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    committed_at: int  # unix seconds
    author: str

    @property
    def time(self) -> str:
        return iso(self.committed_at)


@dataclass(frozen=True)
class Event:
    """One change of one pin: a promotion, canary, rollback or removal."""

    env: str
    name: str
    kind: str  # promote | rollback | canary | canary-removed | removed | update
    before: Pin | None
    after: Pin | None
    commit: Commit | None  # None: an uncommitted change in the working tree

    @property
    def detail(self) -> Pin | lockformat.Canary | None:
        """The record that says when, who, note and evidence for this change."""
        if self.kind == "canary" and self.after is not None and self.after.canary is not None:
            return self.after.canary
        return self.after

    def to_json(self) -> dict[str, Any]:
        detail = self.detail
        return {
            "env": self.env,
            "name": self.name,
            "kind": self.kind,
            "from": _side(self.before),
            "to": _side(self.after),
            "promoted_at": detail.promoted_at if detail else None,
            "promoted_by": detail.promoted_by if detail else None,
            "note": detail.note if detail else None,
            "evidence": detail.evidence if detail else None,
            "forced_reason": detail.forced_reason if detail else None,
            "commit": self.commit.sha if self.commit else None,
            "committed_at": self.commit.time if self.commit else None,
            "committed_by": self.commit.author if self.commit else None,
            "uncommitted": self.commit is None,
        }


def _side(pin: Pin | None) -> dict[str, Any] | None:
    if pin is None:
        return None
    canary = None
    if pin.canary is not None:
        canary = {
            "version": f"v{pin.canary.version}",
            "sha256": pin.canary.sha256,
            "weight": pin.canary.weight,
        }
    return {"version": pin.label, "sha256": pin.sha256, "canary": canary}


@dataclass
class History:
    events: list[Event]
    warnings: list[str] = field(default_factory=list)


# --- git plumbing --------------------------------------------------------------------------


class Repo:
    """The git repository holding the project, and the lockfile's path inside it."""

    def __init__(self, project: Project) -> None:
        self.project = project
        top = self._git("rev-parse", "--show-toplevel", check=False)
        if top.returncode != 0:
            raise PromptshipError(
                f"{project.root} is not in a git repository; promotion history comes from git",
                fix="run `git init` and commit prompts.lock",
            )
        self.root = Path(top.stdout.strip())
        self.lock_rel = project.lock_path.resolve().relative_to(self.root.resolve()).as_posix()
        self._parsed: dict[str, Pins | None] = {}  # blob id -> pins (None: unreadable)
        self._chunks: dict[str, tuple[str, Pin]] = {}
        self.warnings: list[str] = []

    def _git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        try:
            done = subprocess.run(
                ["git", *args], cwd=self.project.root, capture_output=True, text=True
            )
        except OSError as exc:
            raise PromptshipError(f"cannot run git: {exc}", fix="install git") from None
        if check and done.returncode != 0:
            detail = done.stderr.strip().splitlines()
            raise PromptshipError(
                f"`git {args[0]}` failed: {detail[-1] if detail else done.returncode}"
            )
        return done

    def lock_changed(self) -> bool:
        """Whether the working tree's lockfile differs from HEAD's (or is new)."""
        out = self._git("status", "--porcelain", "--", self.lock_rel, check=False).stdout
        return bool(out.strip())

    def commits(self, *, first_parent: bool) -> list[Commit]:
        """Commits of HEAD that changed the lockfile, oldest first."""
        if self._git("rev-parse", "--verify", "-q", "HEAD", check=False).returncode != 0:
            return []  # no commits yet
        args = ["log", "--format=%H%x1f%P%x1f%ct%x1f%an <%ae>", "--topo-order", "--reverse"]
        args += ["--first-parent"] if first_parent else ["--full-history", "--parents"]
        out = self._git(*args, "HEAD", "--", self.lock_rel).stdout
        commits = []
        for line in out.splitlines():
            sha, parents, when, author = line.split("\x1f")
            commits.append(Commit(sha, tuple(parents.split()), int(when), author))
        return commits

    def states(self, revisions: Iterable[str]) -> dict[str, Pins | None]:
        """The pins of the lockfile at each revision ({} where it does not exist)."""
        wanted = list(dict.fromkeys(revisions))
        if not wanted:
            return {}
        request = "".join(f"{rev}:{self.lock_rel}\n" for rev in wanted).encode()
        try:
            done = subprocess.run(
                ["git", "cat-file", "--batch"],
                cwd=self.project.root,
                input=request,
                capture_output=True,
            )
        except OSError as exc:
            raise PromptshipError(f"cannot run git: {exc}", fix="install git") from None
        out = done.stdout
        result: dict[str, Pins | None] = {}
        position = 0
        for rev in wanted:
            end = out.index(b"\n", position)
            header = out[position:end].split()
            position = end + 1
            if header[-1] == b"missing":
                result[rev] = {}
                continue
            oid, size = header[0].decode(), int(header[2])
            if oid not in self._parsed:
                text = out[position : position + size].decode("utf-8", "replace")
                self._parsed[oid] = self._parse(text, f"{self.lock_rel} at {rev[:12]}")
            result[rev] = self._parsed[oid]
            position += size + 1
        return result

    def _parse(self, text: str, shown: str) -> Pins | None:
        try:
            return self._parse_layout(text, shown)
        except (PromptshipError, ValueError, LookupError, TypeError):
            pass
        try:
            return lockformat.parse(text, shown)
        except PromptshipError as exc:
            self.warnings.append(f"skipped an unreadable lockfile: {exc.format()}")
            return None

    def _parse_layout(self, text: str, shown: str) -> Pins:
        """Parse the layout promptship writes one pin at a time, reusing pins seen before.

        Consecutive versions of a lockfile share almost all their pins, so each distinct pin
        text is parsed (strictly) once. Text in any other layout raises, and is then parsed
        whole by `lockformat.parse`.
        """
        if not text.startswith(_PREFIX):
            raise ValueError("not the written layout")
        pins: Pins = {}
        for block in _ENV_SPLIT.split(text[len(_PREFIX) :]):
            if not block:
                continue
            head, *chunks = _PIN_SPLIT.split(block)
            env = strict_yaml.load(head, shown)
            if not isinstance(env, dict) or len(env) != 1 or next(iter(env.values())) is not None:
                raise ValueError("not an environment line")
            named = pins.setdefault(next(iter(env)), {})
            if named:
                raise ValueError("environment repeated")
            for chunk in chunks:
                name, pin = self._chunk(chunk, shown)
                if name in named:
                    raise ValueError("pin repeated")
                named[name] = pin
        return pins

    def _chunk(self, chunk: str, shown: str) -> tuple[str, Pin]:
        found = self._chunks.get(chunk)
        if found is None:
            first_end = chunk.index("\n")
            if _SHALLOW.search(chunk, first_end):
                raise ValueError("not a pin block")
            raw = strict_yaml.load(chunk, shown)
            if not isinstance(raw, dict) or len(raw) != 1:
                raise ValueError("not a pin block")
            data = {
                "format_version": lockformat.FORMAT_VERSION,
                "sha_scheme": SCHEME,
                "environments": {"e": raw},
            }
            ((name, pin),) = lockformat.from_data(data, shown)["e"].items()
            found = self._chunks[chunk] = (name, pin)
        return found


# --- history -------------------------------------------------------------------------------


def history(project: Project, name: str | None = None, env: str | None = None) -> History:
    """Every change of every pin, oldest first, then the uncommitted ones."""
    repo = Repo(project)
    commits = repo.commits(first_parent=False)
    revisions = [c.sha for c in commits] + [p for c in commits for p in c.parents]
    states = repo.states(revisions)
    events: list[Event] = []
    for commit in commits:
        now = states[commit.sha]
        if now is None:
            continue
        parents = [states[p] for p in commit.parents] or [{}]
        readable = [p for p in parents if p is not None] or [{}]
        events.extend(_changes(readable, now, commit, first=readable[0]))
    head = states.get(commits[-1].sha) if commits else {}
    working = _working_tree(project, repo)
    if working is not None and head is not None:
        events.extend(_changes([head], working, None, first=head))
    selected = [
        e for e in events if (name is None or e.name == name) and (env is None or e.env == env)
    ]
    return History(selected, repo.warnings)


def _working_tree(project: Project, repo: Repo) -> Pins | None:
    if not project.lock_path.exists():
        return {}
    try:
        return lockfile.read(project).pins
    except PromptshipError as exc:
        repo.warnings.append(f"the working-tree lockfile is broken: {exc.format()}")
        return None


def _changes(parents: list[Pins], now: Pins, commit: Commit | None, first: Pins) -> Iterator[Event]:
    keys = {
        (env, name) for state in (now, *parents) for env, named in state.items() for name in named
    }
    for env, name in sorted(keys):
        after = now.get(env, {}).get(name)
        if all(state.get(env, {}).get(name) != after for state in parents):
            before = first.get(env, {}).get(name)
            yield Event(env, name, _kind(before, after), before, after, commit)


def _kind(before: Pin | None, after: Pin | None) -> str:
    if after is None:
        return "removed"
    if before is None:
        return "promote"
    if (after.version, after.sha256) != (before.version, before.sha256):
        if after.version == before.replaced and after.replaced == before.version:
            return "rollback"
        return "promote"
    if after.canary != before.canary:
        return "canary-removed" if after.canary is None else "canary"
    return "update"


# --- live ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Live:
    name: str
    pin: Pin
    commit: Commit  # the commit whose lockfile was current at the moment asked
    since: Commit  # the first commit on the branch that served this exact pin


@dataclass
class LiveAnswer:
    items: list[Live]
    commit: Commit | None  # None: no committed lockfile existed at that moment
    uncommitted: bool  # the working tree's lockfile has changes that no answer includes
    warnings: list[str]


def live(project: Project, env: str, at: int) -> LiveAnswer:
    """What `env` served at unix time `at`, with the commit whose lockfile was current then."""
    repo = Repo(project)
    commits = repo.commits(first_parent=True)
    index = None
    for i, commit in enumerate(commits):
        if commit.committed_at <= at:
            index = i
    uncommitted = repo.lock_changed()
    if index is None:
        return LiveAnswer([], None, uncommitted, repo.warnings)
    chain = commits[: index + 1]
    states = repo.states(c.sha for c in chain)
    current = states[chain[-1].sha] or {}
    found = []
    for name, pin in sorted(current.get(env, {}).items()):
        since = chain[-1]
        for commit in reversed(chain[:-1]):
            state = states[commit.sha]
            if state is None or state.get(env, {}).get(name) != pin:
                break
            since = commit
        found.append(Live(name, pin, chain[-1], since))
    return LiveAnswer(found, chain[-1], uncommitted, repo.warnings)


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
