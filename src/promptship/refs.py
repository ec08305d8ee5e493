"""`NAME`, `NAME@vN` and `NAME@ENV` references to prompt versions."""

from __future__ import annotations

from dataclasses import dataclass

from promptship.errors import UsageError
from promptship.names import VERSION_RE, check_name
from promptship.project import Project
from promptship.prompt import PromptVersion


@dataclass(frozen=True)
class Ref:
    name: str
    selector: str | None  # None (latest), "vN", or an environment name

    @classmethod
    def parse(cls, text: str) -> Ref:
        name, _, selector = text.partition("@")
        if not name or (text.count("@") and not selector) or text.count("@") > 1:
            raise UsageError(
                f"invalid prompt reference {text!r}", fix="write NAME, NAME@vN or NAME@ENV"
            )
        check_name(name)
        return cls(name, selector or None)


def resolve(project: Project, text: str) -> PromptVersion:
    """The prompt version a reference names."""
    ref = Ref.parse(text)
    if ref.selector is None:
        return project.load(ref.name, project.latest(ref.name))
    if VERSION_RE.fullmatch(ref.selector):
        return project.load(ref.name, int(ref.selector[1:]))
    from promptship import lockfile

    return project.load(ref.name, lockfile.pinned_version(project, ref.selector, ref.name))
