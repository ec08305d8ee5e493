"""Environments and their promotion policy, from the `environments` configuration section.

```toml
[tool.promptship.environments.dev]          # free: anything can be pinned
[tool.promptship.environments.staging]
requires_evidence = true                     # a passing recorded eval for the exact SHA
[tool.promptship.environments.production]
requires_evidence = true
requires = "staging"                         # the same SHA must be pinned there first
```
The order of the tables is the order environments are shown in.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from promptship.errors import PromptshipError, where
from promptship.names import VERSION_RE
from promptship.project import Project

ENV_NAME_RE = re.compile(r"[a-z][a-z0-9_-]*")
KEYS = ("requires_evidence", "requires")


@dataclass(frozen=True)
class Environment:
    name: str
    requires_evidence: bool = False
    requires: str | None = None  # the environment that must pin the same SHA first


DEFAULTS = (
    Environment("dev"),
    Environment("staging", requires_evidence=True),
    Environment("production", requires_evidence=True, requires="staging"),
)


def load_environments(project: Project) -> dict[str, Environment]:
    """The configured environments in display order (the defaults when none are configured)."""
    raw = project.config.section("environments")
    if raw is None:
        return {env.name: env for env in DEFAULTS}
    return parse_environments(raw, str(project.config.path))


def parse_environments(raw: Any, path: str) -> dict[str, Environment]:
    if not isinstance(raw, dict) or not raw:
        raise PromptshipError(
            "environments must be a table of environment tables",
            where=where(path, _line_of(path, "environments")),
            fix="e.g. [tool.promptship.environments.production] with requires_evidence = true",
        )
    found: dict[str, Environment] = {}
    for name, policy in raw.items():
        at = where(path, _line_of(path, name))
        if not ENV_NAME_RE.fullmatch(name) or VERSION_RE.fullmatch(name):
            raise PromptshipError(
                f"invalid environment name {name!r}",
                where=at,
                fix="use lowercase letters, digits, '_' and '-', starting with a letter, and not vN",
            )
        if not isinstance(policy, dict):
            raise PromptshipError(
                f"environment {name!r} must be a table, got {type(policy).__name__}",
                where=at,
                fix=f"write [tool.promptship.environments.{name}] (an empty table is a free environment)",
            )
        for key in policy:
            if key not in KEYS:
                close = difflib.get_close_matches(key, KEYS, n=1)
                raise PromptshipError(
                    f"unknown key {key!r} in environment {name!r}",
                    where=where(path, _line_of(path, key)),
                    fix=f"did you mean {close[0]!r}?"
                    if close
                    else f"known keys: {', '.join(KEYS)}",
                )
        evidence = policy.get("requires_evidence", False)
        if not isinstance(evidence, bool):
            raise PromptshipError(
                f"requires_evidence of {name!r} must be true or false, got {evidence!r}",
                where=where(path, _line_of(path, "requires_evidence")),
                fix="write requires_evidence = true",
            )
        requires = policy.get("requires")
        if requires is not None and (not isinstance(requires, str) or not requires):
            raise PromptshipError(
                f"requires of {name!r} must name another environment, got {requires!r}",
                where=where(path, _line_of(path, "requires")),
                fix='e.g. requires = "staging"',
            )
        found[name] = Environment(name, evidence, requires)
    for env in found.values():
        if env.requires is not None and (env.requires not in found or env.requires == env.name):
            raise PromptshipError(
                f"environment {env.name!r} requires {env.requires!r}, which is not another configured environment",
                where=where(path, _line_of(path, "requires")),
                fix=f"configured environments: {', '.join(found)}",
            )
    _reject_cycles(found, path)
    return found


def get_environment(project: Project, name: str) -> Environment:
    """One environment by name; an unknown name is an error that lists the known ones."""
    environments = load_environments(project)
    if name in environments:
        return environments[name]
    starts = [env for env in environments if name and env.startswith(name)]
    close = starts or difflib.get_close_matches(name, list(environments), n=1)
    known = ", ".join(environments)
    source = project.rel(project.config.path) if project.config.path else "the defaults"
    raise PromptshipError(
        f"unknown environment {name!r}",
        fix=(f"did you mean {close[0]!r}? " if close else "")
        + f"environments: {known} (from {source})",
    )


def _reject_cycles(found: dict[str, Environment], path: str) -> None:
    for start in found.values():
        seen = [start.name]
        current = start
        while current.requires is not None:
            if current.requires in seen:
                cycle = " -> ".join([*seen, current.requires])
                raise PromptshipError(
                    f"environments require each other in a cycle: {cycle}",
                    where=where(path, _line_of(path, "requires")),
                    fix="nothing could ever be promoted; remove one requires",
                )
            seen.append(current.requires)
            current = found[current.requires]


def _line_of(path: str, needle: str) -> int | None:
    """Best-effort line of the first line mentioning `needle` (TOML parsers give no positions)."""
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if re.search(rf"(^|[.\s\[{{,\"']){re.escape(needle)}([\s\]=\"'.,}}]|$)", line):
                    return number
    except (OSError, UnicodeDecodeError):
        pass
    return None
