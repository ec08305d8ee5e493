"""Promote and roll back: change what an environment serves, gated by its policy.

The policy checks that read the lockfile (is the same SHA pinned in the required
environment?) run under the lockfile's write lock, so they hold for the state written.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from promptship import evidence, lockfile
from promptship.environments import Environment, get_environment
from promptship.errors import PromptshipError, UsageError
from promptship.lockformat import Canary, Pin
from promptship.names import parse_version
from promptship.project import Project
from promptship.prompt import PromptVersion
from promptship.sha import short


@dataclass(frozen=True)
class Outcome:
    env: str
    name: str
    pin: Pin | None  # what the environment serves now
    previous: Pin | None
    message: str  # one line for people
    changed: bool
    commit: str | None = None  # the git commit made with --commit


def promote(
    project: Project,
    name: str,
    label: str,
    env: str,
    *,
    note: str | None = None,
    canary: int | None = None,
    force: bool = False,
    reason: str | None = None,
    commit: bool = False,
) -> Outcome:
    """Pin `name@label` in `env` (or start/adjust a canary at `canary` percent)."""
    if force and not (reason and reason.strip()):
        raise UsageError("--force requires --reason", fix='add --reason "why the gate is skipped"')
    if reason and not force:
        raise UsageError("--reason is only used with --force", fix="add --force or drop --reason")
    if canary is not None and not 1 <= canary <= 99:
        raise UsageError(f"--canary must be 1-99 (percent), got {canary}")
    environment = get_environment(project, env)
    version = project.load(name, parse_version(label))
    proof = _evidence(project, environment, version, force)
    who, when = identity(project.root), utc_now()
    forced = reason.strip() if force and reason else None
    with lockfile.exclusive(project):
        current_file = lockfile.read_for_update(project)
        current = current_file.pin(env, name)
        if environment.requires and not force:
            _require_pinned(current_file, environment, version)
        if canary is None:
            new, message = _full(current, version, when, who, note, proof, forced, env)
        else:
            new, message = _canary(current, version, canary, when, who, note, proof, forced, env)
        current_file.pins.setdefault(env, {})[name] = new
        changed = lockfile.save(project, current_file)
        made = (
            git_commit(project, _commit_message(message, note, forced))
            if commit and changed
            else None
        )
    return Outcome(
        env,
        name,
        new,
        current,
        message if changed else f"{message}: nothing to change",
        changed,
        made,
    )


def rollback(
    project: Project, name: str, env: str, *, note: str | None = None, commit: bool = False
) -> Outcome:
    """Undo the last change of `env` for `name`: drop its canary, else re-pin what it replaced.

    No gate applies: the version being restored is the one the environment served before.
    """
    get_environment(project, env)
    project.prompt_dir(name)
    who, when = identity(project.root), utc_now()
    with lockfile.exclusive(project):
        current_file = lockfile.read_for_update(project)
        current = current_file.pin(env, name)
        if current is None:
            raise PromptshipError(
                f"nothing is pinned for {name} in {env}, so there is nothing to roll back",
                fix="see what is pinned with `promptship status`",
            )
        if current.canary is not None:
            dropped = current.canary
            new = replace(
                current,
                promoted_at=when,
                promoted_by=who,
                note=note or f"rollback: canary v{dropped.version} removed",
                forced_reason=None,
                canary=None,
            )
            message = f"{env}: removed the canary {name}@v{dropped.version}; {name}@{current.label} serves all traffic"
        else:
            if current.replaced is None:
                raise PromptshipError(
                    f"{name}@{current.label} replaced nothing in {env}, so there is nothing to roll back to",
                    fix=f"promote the version you want with `promptship promote {name} vN --env {env}`",
                )
            previous = project.load(name, current.replaced)
            new = Pin(
                version=previous.version,
                sha256=previous.sha,
                promoted_at=when,
                promoted_by=who,
                replaced=current.version,
                note=note or f"rollback from {current.label}",
                evidence=_optional_evidence(project, previous),
            )
            message = f"{env}: rolled back {name} from {current.label} to {previous.label} ({short(previous.sha)})"
        current_file.pins[env][name] = new
        lockfile.save(project, current_file)
        made = git_commit(project, _commit_message(message, note, None)) if commit else None
    return Outcome(env, name, new, current, message, True, made)


def _full(
    current: Pin | None,
    version: PromptVersion,
    when: str,
    who: str,
    note: str | None,
    proof: str | None,
    forced: str | None,
    env: str,
) -> tuple[Pin, str]:
    ref = f"{version.ref} ({short(version.sha)})"
    if current is not None and current.sha256 == version.sha and current.version == version.version:
        if current.canary is None:
            return current, f"{env} already serves {ref}"
        replaced = current.replaced  # re-pinning the stable version only drops the canary
    else:
        replaced = current.version if current is not None else None
    new = Pin(version.version, version.sha, when, who, replaced, note, proof, forced)
    message = f"{env}: pinned {ref}"
    if current is not None and current.version != version.version:
        message += f", replacing {current.label}"
    if current is not None and current.canary is not None:
        if current.canary.version == version.version:
            message += " (the canary is now stable)"
        else:
            message += f" (canary v{current.canary.version} removed)"
    if forced:
        message += " [forced]"
    return new, message


def _canary(
    current: Pin | None,
    version: PromptVersion,
    weight: int,
    when: str,
    who: str,
    note: str | None,
    proof: str | None,
    forced: str | None,
    env: str,
) -> tuple[Pin, str]:
    if current is None:
        raise PromptshipError(
            f"nothing is pinned for {version.name} in {env}, so there is no stable version for a canary",
            fix=f"promote a stable version first: `promptship promote {version.name} vN --env {env}`",
        )
    if current.version == version.version:
        raise PromptshipError(
            f"{version.ref} is already the stable version in {env}",
            fix="a canary is a different version served to a share of traffic",
        )
    old = current.canary
    if old is not None and (old.version, old.sha256, old.weight) == (
        version.version,
        version.sha,
        weight,
    ):
        return current, f"{env} already serves {version.ref} as a {weight}% canary"
    canary = Canary(version.version, version.sha, weight, when, who, note, proof, forced)
    message = (
        f"{env}: canary {version.ref} ({short(version.sha)}) at {weight}% next to {current.label}"
    )
    if old is not None and old.version != version.version:
        message += f" (replacing canary v{old.version})"
    return replace(current, canary=canary), message + (" [forced]" if forced else "")


def _evidence(
    project: Project, environment: Environment, version: PromptVersion, force: bool
) -> str | None:
    """The evidence path to record; raises when the policy needs evidence and none counts."""
    if not environment.requires_evidence:
        return None
    if force:
        return _optional_evidence(project, version)
    path = evidence.find_passing(project, version)
    if path is None:
        raise evidence.missing_message(project, version)
    return project.rel(path)


def _optional_evidence(project: Project, version: PromptVersion) -> str | None:
    try:
        path = evidence.find_passing(project, version)
    except PromptshipError:
        return None
    return project.rel(path) if path else None


def _require_pinned(
    current_file: lockfile.Lockfile, environment: Environment, version: PromptVersion
) -> None:
    required = environment.requires
    assert required is not None
    there = current_file.pin(required, version.name)
    if there is not None and there.sha256 == version.sha:
        return
    ref = f"{version.label} (sha256:{short(version.sha)})"
    detail = f" (it serves {there.label})" if there is not None else ""
    raise PromptshipError(
        f"{ref} is not pinned in {required}{detail}; promote it there first",
        fix=f"run `promptship promote {version.name} {version.label} --env {required}`",
    )


def identity(root: Path) -> str:
    """`Name <email>` from git (honouring GIT_AUTHOR_NAME/EMAIL), else the login name."""
    try:
        done = subprocess.run(
            ["git", "var", "GIT_AUTHOR_IDENT"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        )
        if done.returncode == 0 and ">" in done.stdout:
            return done.stdout.rsplit(">", 1)[0].strip() + ">"
    except (OSError, subprocess.TimeoutExpired):
        pass
    return os.environ.get("USER") or os.environ.get("LOGNAME") or "unknown"


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _commit_message(message: str, note: str | None, forced: str | None) -> str:
    env, _, what = message.partition(": ")
    lines = [f"promptship: {what} in {env}"]
    if note:
        lines += ["", note]
    if forced:
        lines += ["", f"Forced: {forced}"]
    return "\n".join(lines) + "\n"


def git_commit(project: Project, message: str) -> str:
    """Commit just the lockfile (`git commit --only`); returns the new commit's SHA."""
    lock = str(project.lock_path)

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                ["git", *args], cwd=project.root, capture_output=True, text=True, timeout=60
            )
        except OSError as exc:
            raise PromptshipError(f"cannot run git: {exc}", fix="install git") from None

    for args in (("add", "--", lock), ("commit", "--only", "-m", message, "--", lock)):
        done = git(*args)
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()
            raise PromptshipError(
                f"the lockfile was written but `git {args[0]}` failed: {detail[-1] if detail else done.returncode}",
                where=project.rel(project.lock_path),
                fix="commit prompts.lock yourself",
            )
    return git("rev-parse", "HEAD").stdout.strip()
