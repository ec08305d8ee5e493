"""`promptship new NAME [--from vN]`: the next version file and its CHANGELOG stub.

The new file is a byte-for-byte copy of its source, so it has the source's SHA until it is
edited; the stub entry makes `check` fail until someone writes what changed and why.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from promptship import changelog
from promptship.atomic import write_atomic
from promptship.errors import PromptshipError, UsageError
from promptship.names import check_name, parse_version
from promptship.project import CHANGELOG, Project
from promptship.prompt import MODEL_RE, decode, parse_prompt
from promptship.sha import short

DEFAULT_MODEL = "openai/gpt-4o-mini"
FIRST_VERSION = """\
---
model: {model}
params: {{temperature: 0, max_tokens: 512}}
variables:
  input: {{required: true, description: What the user sent}}
---
system:
You are the assistant behind {name}. Say here what to do, the rules to follow and the
exact form of the answer.
user:
{{{{ input }}}}
"""


@dataclass(frozen=True)
class Created:
    path: Path
    version: int
    source: int | None  # the version copied, None for a brand-new prompt
    sha: str
    changelog: Path
    changelog_entry: bool  # False when the CHANGELOG already had an entry for it


def create_version(
    project: Project,
    name: str,
    from_version: str | None,
    model: str | None,
    today: datetime.date,
) -> Created:
    """Write the next version of `name` (or its v1) and prepend its CHANGELOG stub."""
    check_name(name)
    directory = project.prompts_path / name
    if not directory.resolve().is_relative_to(project.prompts_path.resolve()):
        raise PromptshipError(
            f"{project.rel(directory)} resolves outside {project.rel(project.prompts_path)}/",
            fix="prompt folders must not be symlinks out of the prompts directory",
        )
    found = project.scan().get(name)
    if found is not None and found.files:
        if model is not None:
            raise UsageError(
                "--model applies only to a brand-new prompt",
                fix=f"edit 'model:' in the new file of {name}",
            )
        source = parse_version(from_version) if from_version else project.latest(name)
        source_path = project.version_path(name, source)
        data = source_path.read_bytes()
        sha = project.load(name, source).sha  # refuses to copy a version that does not parse
        number = project.latest(name) + 1
        target = directory / f"v{number}{source_path.suffix}"
    else:
        if from_version is not None:
            raise UsageError(f"{name} has no versions to copy", fix="omit --from to create v1")
        model = model or DEFAULT_MODEL
        if not MODEL_RE.fullmatch(model):
            raise UsageError(
                f"--model must look like 'provider/name', got {model!r}",
                fix=f"e.g. --model {DEFAULT_MODEL}",
            )
        source, number = None, 1
        data = FIRST_VERSION.format(model=model, name=name).encode("utf-8")
        target = directory / "v1.md"
        sha = parse_prompt(data, path=project.rel(target), name=name, version=1).sha
    log_path = directory / CHANGELOG
    log_text = _with_stub(project, log_path, name, number, today)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with target.open("xb") as handle:
            handle.write(data)
    except FileExistsError:
        raise PromptshipError(
            f"{project.rel(target)} already exists (created meanwhile?)",
            fix="run the command again",
        ) from None
    except OSError as exc:
        raise PromptshipError(
            f"cannot write {project.rel(target)}: {exc.strerror}", fix="check the permissions"
        ) from None
    if log_text is not None:
        try:
            write_atomic(log_path, log_text.encode("utf-8"))
        except BaseException as exc:
            target.unlink()  # all or nothing: no version without its changelog entry
            if isinstance(exc, OSError):
                raise PromptshipError(
                    f"cannot write {project.rel(log_path)}: {exc.strerror}",
                    fix="check the permissions",
                ) from None
            raise
    return Created(target, number, source, sha, log_path, log_text is not None)


def _with_stub(
    project: Project, path: Path, name: str, version: int, today: datetime.date
) -> str | None:
    """The CHANGELOG text with the stub for `version` added, or None if it has an entry."""
    stub = changelog.stub_entry(version, today)
    if not path.exists():
        return f"# {name}\n\n{stub}"
    shown = project.rel(path)
    try:
        text = decode(path.read_bytes(), shown)
    except OSError as exc:
        raise PromptshipError(f"cannot read the changelog: {exc.strerror}", where=shown) from None
    log = changelog.parse(text, shown)
    if any(entry.version == version for entry in log.entries):
        return None
    lines = text.split("\n")
    # Newest first: above the first older entry, else below everything.
    older = next((e.line for e in log.entries if e.version < version), None)
    if older is not None:
        at = older - 1
    elif log.entries:
        at = len(lines)
    else:
        at = log.title_line or 0
    block = stub.rstrip("\n").split("\n")
    if at > 0 and lines[at - 1].strip():
        block.insert(0, "")
    if at < len(lines) and lines[at].strip():
        block.append("")
    lines[at:at] = block
    result = "\n".join(lines)
    return result if result.endswith("\n") else result + "\n"


def run(name: str, from_version: str | None, model: str | None) -> int:
    project = Project.find()
    today = datetime.date.today()
    created = create_version(project, name, from_version, model, today)
    where = project.rel(created.path)
    if created.source is None:
        print(
            f"created {where} (sha {short(created.sha)}): write the prompt, then `promptship check`"
        )
    else:
        print(
            f"created {where}, a copy of v{created.source} "
            f"(same sha {short(created.sha)} until you edit it)"
        )
    log = project.rel(created.changelog)
    if created.changelog_entry:
        print(
            f"added '## v{created.version} - {today.isoformat()}' to {log}: "
            "replace its TODO line with what changed and why (`promptship check` fails until then)"
        )
    else:
        print(f"{log} already has an entry for v{created.version}")
    return 0
