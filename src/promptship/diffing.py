"""What changed between two versions of a prompt: templates, configuration and tokens.

Messages are paired by position; each pair gets a unified diff of its template text.
Configuration (model, params, variables, output, and the documentation-only keys) is
compared structurally with deepdiff and reported per path (`params.temperature: 0 -> 0.2`).
Token counts come from `prompt_stats.measure`, so `diff` and `stats` always agree.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any

from promptship.project import Project
from promptship.prompt import PromptVersion
from promptship.prompt_stats import Growth, Size, growth, measure

SECTIONS = ("model", "params", "variables", "output", "description", "tags")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class MessageDiff:
    index: int  # 1-based position
    status: str  # unchanged | changed | added | removed
    old_role: str | None
    new_role: str | None
    unified: tuple[str, ...]  # unified diff lines of the template text, empty if unchanged
    old_tokens: int | None
    new_tokens: int | None

    @property
    def role_changed(self) -> bool:
        return None not in (self.old_role, self.new_role) and self.old_role != self.new_role

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "status": self.status,
            "old_role": self.old_role,
            "new_role": self.new_role,
            "role_changed": self.role_changed,
            "diff": list(self.unified),
            "old_tokens": self.old_tokens,
            "new_tokens": self.new_tokens,
        }


@dataclass(frozen=True)
class ConfigChange:
    path: tuple[str | int, ...]
    kind: str  # added | removed | changed
    old: Any  # None when added
    new: Any  # None when removed
    documentation_only: bool  # does not change the SHA

    @property
    def dotted(self) -> str:
        return format_path(self.path)

    def line(self) -> str:
        """One readable line, e.g. `variables.customer_tier: added (default 'free')`."""
        if self.kind == "added":
            if len(self.path) == 2 and self.path[0] == "variables":
                detail = (
                    "required"
                    if self.new.get("required")
                    else f"default {fmt(self.new['default'])}"
                )
            else:
                detail = fmt(self.new)
            text = f"{self.dotted}: added ({detail})"
        elif self.kind == "removed":
            text = f"{self.dotted}: removed (was {fmt(self.old)})"
        else:
            text = f"{self.dotted}: {fmt(self.old)} -> {fmt(self.new)}"
        return text + (" (documentation only)" if self.documentation_only else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.dotted,
            "kind": self.kind,
            "old": self.old,
            "new": self.new,
            "documentation_only": self.documentation_only,
            "text": self.line(),
        }


@dataclass(frozen=True)
class VersionDiff:
    old: PromptVersion
    new: PromptVersion
    messages: tuple[MessageDiff, ...]
    config: tuple[ConfigChange, ...]
    old_size: Size
    new_size: Size
    eval: dict[str, Any] | None

    @property
    def identical(self) -> bool:
        """Same SHA: what is sent is the same (documentation may still differ)."""
        return self.old.sha == self.new.sha

    @property
    def tokens(self) -> Growth:
        return growth(self.old_size, self.new_size)

    def to_json(self) -> dict[str, Any]:
        change = self.tokens
        return {
            "name": self.new.name,
            "old": _side(self.old),
            "new": _side(self.new),
            "identical": self.identical,
            "messages": [m.to_json() for m in self.messages],
            "config": [c.to_json() for c in self.config],
            "tokens": {
                "old": self.old_size.to_json(),
                "new": self.new_size.to_json(),
                "delta": change.tokens,
                "percent": change.percent,
                "exact": self.old_size.exact and self.new_size.exact,
            },
            "eval": self.eval,
        }


def diff_versions(project: Project, old: PromptVersion, new: PromptVersion) -> VersionDiff:
    """Everything `diff` shows; `eval` is None unless recorded results exist for both SHAs."""
    from promptship.eval_delta import eval_delta

    old_size, new_size = measure(old), measure(new)
    return VersionDiff(
        old=old,
        new=new,
        messages=message_diffs(old, new, old_size, new_size),
        config=config_changes(old, new),
        old_size=old_size,
        new_size=new_size,
        eval=eval_delta(project, old, new),
    )


def message_diffs(
    old: PromptVersion, new: PromptVersion, old_size: Size, new_size: Size
) -> tuple[MessageDiff, ...]:
    result = []
    for i in range(max(len(old.messages), len(new.messages))):
        a = old.messages[i] if i < len(old.messages) else None
        b = new.messages[i] if i < len(new.messages) else None
        a_text = a.content if a else ""
        b_text = b.content if b else ""
        if a is None:
            status = "added"
        elif b is None:
            status = "removed"
        else:
            status = "unchanged" if (a.role, a.content) == (b.role, b.content) else "changed"
        unified: tuple[str, ...] = ()
        if status != "unchanged":
            label = f"message {i + 1}"
            unified = tuple(
                difflib.unified_diff(
                    a_text.split("\n") if a else [],
                    b_text.split("\n") if b else [],
                    fromfile=f"{old.label} {label} ({a.role})" if a else "/dev/null",
                    tofile=f"{new.label} {label} ({b.role})" if b else "/dev/null",
                    lineterm="",
                )
            )
        result.append(
            MessageDiff(
                index=i + 1,
                status=status,
                old_role=a.role if a else None,
                new_role=b.role if b else None,
                unified=unified,
                old_tokens=old_size.message_tokens[i] if a else None,
                new_tokens=new_size.message_tokens[i] if b else None,
            )
        )
    return tuple(result)


def config_document(version: PromptVersion) -> dict[str, Any]:
    """Everything but the messages, in the shape `config_changes` compares."""
    document: dict[str, Any] = _integral_floats(version.config())
    return document


def config_changes(old: PromptVersion, new: PromptVersion) -> tuple[ConfigChange, ...]:
    from deepdiff import DeepDiff

    a, b = config_document(old), config_document(new)
    tree = DeepDiff(a, b, view="tree")
    changes: dict[tuple[str | int, ...], ConfigChange] = {}
    for report, levels in tree.items():
        for level in levels:
            path = tuple(level.path(output_format="list"))
            # Lists (tags, schema enums) read best whole: `tags: ['a'] -> ['a', 'b']`.
            cut = next((i for i, key in enumerate(path) if isinstance(key, int)), None)
            if cut is not None:
                path = path[:cut]
                kind = "changed"
            elif report.endswith("_added"):
                kind = "added"
            elif report.endswith("_removed"):
                kind = "removed"
            else:
                kind = "changed"
            changes[path] = ConfigChange(
                path=path,
                kind=kind,
                old=None if kind == "added" else _get(a, path),
                new=None if kind == "removed" else _get(b, path),
                documentation_only=path[0] in ("description", "tags")
                or (path[0] == "variables" and path[-1] == "description" and len(path) == 3),
            )
    return tuple(sorted(changes.values(), key=lambda c: (SECTIONS.index(str(c.path[0])), c.dotted)))


def format_path(path: tuple[str | int, ...]) -> str:
    """`("output", "schema", "properties", "a b")` -> `output.schema.properties["a b"]`."""
    text = ""
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
        elif _PLAIN_KEY.fullmatch(key):
            text += f".{key}" if text else key
        else:
            text += f"[{json.dumps(key, ensure_ascii=False)}]"
    return text


def fmt(value: Any, limit: int = 80) -> str:
    """A value as one short line, YAML-flow style: `'free'`, `0.2`, `true`, `[a, b]`.

    >>> fmt({"type": "object", "required": ["label"], "strict": True})
    "{type: 'object', required: ['label'], strict: true}"
    """
    text = _flow(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _flow(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    return repr(value)


def _side(version: PromptVersion) -> dict[str, Any]:
    return {
        "version": version.label,
        "sha256": version.sha,
        "file": version.path,
        "model": version.model,
    }


def _get(document: Any, path: tuple[str | int, ...]) -> Any:
    for key in path:
        document = document[key]
    return document


def _integral_floats(value: Any) -> Any:
    # The SHA writes 1.0 as 1 (RFC 8785); compare the same way, so a diff never shows 1 -> 1.0.
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _integral_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral_floats(v) for v in value]
    return value
