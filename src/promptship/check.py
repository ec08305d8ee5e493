"""Offline validation of a project: what `promptship check` and the pre-commit hook run.

`CHECKERS` is the list of rules; each takes the project and the files to check (absolute,
resolved paths; None means the whole repository) and returns problems. A checker that is
given files looks only at what those files belong to, so the pre-commit hook stays fast on
a large repository. Other concepts register their own checker here (golden sets, lockfile).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from stat import S_ISREG

from promptship import changelog, goldenset, lockfile, text_rules
from promptship.check_cache import CheckCache, Result
from promptship.errors import Problem, PromptshipError
from promptship.names import NAME_RE
from promptship.project import CHANGELOG, Project, PromptDir
from promptship.prompt import PromptVersion, decode, parse_prompt
from promptship.providers import settings as provider_settings
from promptship.sha import short

Checker = Callable[[Project, set[Path] | None], list[Problem]]

# Files a prompt folder may hold besides its versions and changelog.
IGNORED = frozenset(("README.md", ".gitkeep", ".gitattributes", ".DS_Store"))


def check_project(project: Project, files: set[Path] | None = None) -> list[Problem]:
    """Every problem in the project (or in what `files` belong to), sorted by file and line."""
    if files is not None and _covers_everything(project, files):
        files = None
    problems: list[Problem] = []
    for checker in CHECKERS:
        problems.extend(checker(project, files))
    return sorted(set(problems), key=lambda p: (p.path, p.line or 0, p.message))


def check_prompts(project: Project, files: set[Path] | None) -> list[Problem]:
    """File names, prompt names, parsing, variables, text rules, no-op versions, CHANGELOG.

    The whole-repository run reuses what it found in unchanged files (`check_cache`); the
    pre-commit run on a few files reads only their prompt folders.
    """
    cache: CheckCache | None = None
    fresh: dict[str, Result] = {}
    if files is None:
        dirs = list(project.scan().values())
        cache = CheckCache.open(project.root)
        fresh = _check_uncached_in_parallel(project, dirs, cache)
    else:
        found = (project.read_dir(path) for path in _touched_dirs(project, files))
        dirs = [prompt_dir for prompt_dir in found if prompt_dir is not None]
    problems: list[Problem] = []
    for prompt_dir in dirs:
        problems.extend(check_prompt_dir(project, prompt_dir, cache, fresh))
    if cache is not None:
        cache.save()
    return problems


def check_prompt_dir(
    project: Project,
    prompt_dir: PromptDir,
    cache: CheckCache | None = None,
    fresh: dict[str, Result] | None = None,
) -> list[Problem]:
    shown = project.rel(prompt_dir.path)
    problems: list[Problem] = []
    if not NAME_RE.fullmatch(prompt_dir.name):
        problems.append(
            Problem(
                shown,
                None,
                f"invalid prompt name {prompt_dir.name!r}",
                f"rename the folder to {_suggest_name(prompt_dir.name)!r}: lowercase letters, digits, '_' and '-'",
            )
        )
    for stray in prompt_dir.strays:
        if stray.name not in IGNORED:
            problems.append(_stray_problem(project.rel(stray), stray.name))
    if not prompt_dir.files:
        problems.append(
            Problem(shown, None, "prompt folder has no versions", "add v1.md or v1.yaml")
        )
        return problems
    shas: dict[int, str | None] = {}
    for number in prompt_dir.versions:
        paths = prompt_dir.files[number]
        for extra in paths[1:]:
            problems.append(
                Problem(
                    project.rel(extra),
                    None,
                    f"v{number} exists twice: {' and '.join(p.name for p in paths)}",
                    "keep one file per version; the next change is a new version",
                )
            )
        result = _check_version_file(project, prompt_dir.name, number, paths[0], cache, fresh)
        problems.extend(result.problems)
        shas[number] = result.sha
    problems.extend(_noop_problems(project, prompt_dir, shas))
    problems.extend(_changelog_problems(project, prompt_dir))
    return problems


def _check_version_file(
    project: Project,
    name: str,
    number: int,
    path: Path,
    cache: CheckCache | None,
    fresh: dict[str, Result] | None = None,
) -> Result:
    """One version file's own problems and SHA, from the cache or by parsing it once."""
    shown = project.rel(path)
    try:
        stat = path.lstat()
    except OSError as exc:
        return Result(None, (Problem(shown, None, f"cannot read file: {exc.strerror}"),))
    if not S_ISREG(stat.st_mode):
        return Result(None, (_not_regular(shown),))
    cached = cache.get(shown, stat) if cache is not None else None
    if cached is not None:
        return cached
    result = (fresh or {}).get(shown) or check_version_file(path, shown, name, number)
    if cache is not None:
        cache.put(shown, stat, result)
    return result


# Below this many uncached version files, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 400


def _check_uncached_in_parallel(
    project: Project, dirs: list[PromptDir], cache: CheckCache
) -> dict[str, Result]:
    """Results for the version files the cache lacks, checked on every core.

    A first whole-repo run (a fresh clone, CI) parses every file; parsing is CPU-bound
    Python, so it is spread over forked worker processes. Small runs stay in-process.
    """
    import multiprocessing
    import os

    todo = []
    for prompt_dir in dirs:
        for number, paths in prompt_dir.files.items():
            shown = project.rel(paths[0])
            try:
                stat = paths[0].lstat()
            except OSError:
                continue
            if S_ISREG(stat.st_mode) and cache.get(shown, stat) is None:
                todo.append((paths[0], shown, prompt_dir.name, number))
    workers = min(os.cpu_count() or 1, 8)
    if len(todo) < PARALLEL_MIN_FILES or workers < 2:
        return {}
    if "fork" not in multiprocessing.get_all_start_methods():
        return {}  # spawn would re-import everything per worker: not worth it
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        results = pool.map(_check_job, todo, chunksize=max(1, len(todo) // (workers * 8)))
        return {job[1]: result for job, result in zip(todo, results, strict=True)}


def _check_job(job: tuple[Path, str, str, int]) -> Result:
    return check_version_file(*job)


def check_version_file(path: Path, shown: str, name: str, number: int) -> Result:
    """Every rule that looks at one version file alone: text, parsing, variables, SHA."""
    problems: list[Problem] = []
    try:
        data = path.read_bytes()
        problems.extend(text_rules.text_problems(decode(data, shown), shown))
        version = parse_prompt(data, path=shown, name=name, version=number)
        problems.extend(_variable_problems(version))
        return Result(version.sha, tuple(problems))
    except PromptshipError as exc:
        problems.append(Problem.from_error(exc, shown))
    except OSError as exc:
        problems.append(Problem(shown, None, f"cannot read file: {exc.strerror}"))
    return Result(None, tuple(problems))


def _variable_problems(version: PromptVersion) -> list[Problem]:
    from promptship import template

    used = version.used_variables()  # raises on a template syntax error
    undeclared = set(used) - set(version.variables) - set(template.environment().globals)
    problems = [
        Problem(
            version.path,
            _use_line(version, name, used[name]),
            f"variable {name!r} is used but not declared",
            f"declare it under 'variables:', e.g. {name}: {{required: true}}",
        )
        for name in sorted(undeclared)
    ]
    for var in version.variables.values():
        if var.name not in used:
            problems.append(
                Problem(
                    version.path,
                    var.line,
                    f"variable {var.name!r} is declared but never used",
                    f"use {{{{ {var.name} }}}} in a message, or remove the declaration",
                )
            )
    return problems


def _use_line(version: PromptVersion, name: str, fallback: int) -> int:
    """The exact line of the first use of `name`, found with Jinja's own lexer."""
    from promptship import template

    for message in version.messages:
        for lineno, kind, value in template.environment().lex(message.content):
            if kind == "name" and value == name:
                return message.line + lineno - 1
    return fallback


def _noop_problems(
    project: Project, prompt_dir: PromptDir, shas: dict[int, str | None]
) -> list[Problem]:
    problems = []
    for previous, number in itertools.pairwise(prompt_dir.versions):
        sha = shas[number]
        if sha is not None and sha == shas[previous]:
            problems.append(
                Problem(
                    project.rel(prompt_dir.files[number][0]),
                    None,
                    f"v{number} sends exactly what v{previous} sends (same SHA {short(sha)})",
                    f"delete v{number}, or make the change you meant to make",
                )
            )
    return problems


def _changelog_problems(project: Project, prompt_dir: PromptDir) -> list[Problem]:
    path = prompt_dir.path / CHANGELOG
    shown = project.rel(path)
    versions = set(prompt_dir.files)
    try:
        if not S_ISREG(path.lstat().st_mode):
            return [_not_regular(shown)]
        data = path.read_bytes()
    except FileNotFoundError:
        return [changelog.missing(project.rel(prompt_dir.path), prompt_dir.name, versions)]
    except OSError as exc:
        return [Problem(shown, None, f"cannot read file: {exc.strerror}")]
    try:
        text = decode(data, shown)
    except PromptshipError as exc:
        return [Problem.from_error(exc, shown)]
    return [
        *text_rules.text_problems(text, shown),
        *changelog.check(text, shown, prompt_dir.name, versions),
    ]


def _not_regular(shown: str) -> Problem:
    # A link could point anywhere, even outside the repository, and git would not track it.
    return Problem(
        shown,
        None,
        "not a regular file (a symbolic link or a special file)",
        "replace it with a copy of the content",
    )


def _stray_problem(shown: str, filename: str) -> Problem:
    stem, dot, ext = filename.partition(".")
    fix = "move it out of the prompt folder: only vN.md, vN.yaml and CHANGELOG.md belong here"
    version = stem.lower().removeprefix("v")
    if filename.lower() == CHANGELOG.lower():
        fix = f"rename it to {CHANGELOG}"
    elif stem[:1] in "vV" and version.isdigit():
        label = f"v{int(version)}"
        target = {"md": "md", "markdown": "md", "yaml": "yaml", "yml": "yaml"}.get(ext.lower())
        if int(version) == 0:
            fix = "versions start at v1"
        elif target and dot:
            fix = f"rename it to {label}.{target}"
        else:
            fix = f"versions are {label}.md or {label}.yaml"
    return Problem(shown, None, f"{filename!r} is not a version file", fix)


def _suggest_name(name: str) -> str:
    import re

    parts = [re.sub(r"[^a-z0-9_-]+", "_", part.lower()).strip("_") for part in name.split("/")]
    return "/".join(p for p in parts if p) or "prompt_name"


def _covers_everything(project: Project, files: set[Path]) -> bool:
    """The configuration (it can move every folder), or a folder holding prompts/ or evals/."""
    config = project.config.path
    if config is not None and config.resolve() in files:
        return True
    tops = (project.prompts_path.resolve(), project.evals_path.resolve())
    return any(top.is_relative_to(path) for path in files for top in tops)


def _touched_dirs(project: Project, files: set[Path]) -> list[Path]:
    """The prompt folders that `files` live in (a changed CHANGELOG checks its prompt), or
    that are given themselves, with the prompts nested in them."""
    prompts = project.prompts_path.resolve()
    found: set[Path] = set()
    for path in files:
        if path.is_dir() and path.is_relative_to(prompts):
            found.update(p for p in path.rglob("*") if p.is_dir())
            found.add(path)
        elif path.parent != prompts and path.parent.is_relative_to(prompts):
            found.add(path.parent)
    return sorted(project.prompts_path / p.relative_to(prompts) for p in found)


CHECKERS: list[Checker] = [
    check_prompts,
    goldenset.check_problems,
    lockfile.check_problems,
    provider_settings.check_problems,
]
