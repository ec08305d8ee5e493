"""Golden sets: `evals/<name>.yaml`, the cases a prompt is evaluated on, and its gate.

```yaml
prompt: support_ticket_triage
defaults: {vars: {ticket_type: email}}
cases:
  - id: billing-refund
    vars: {ticket_text: "I need a refund for my last payment"}
    expect: billing              # equals after strip + casefold
    tags: [billing]
gate: {min_pass_rate: 0.9, by_tag: {billing: 1.0}, no_regressions: true}
```

Each golden set has its own content SHA (scheme `gs1`), over what affects verdicts: the
cases in file order with merged variables, assertions and tags, and the gate. Comments,
layout, key order and descriptions do not change it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptship import sha as sha_scheme
from promptship import strict_yaml
from promptship.assertions import AssertionSpec, equals_spec, parse_assertion
from promptship.errors import Problem, PromptshipError, where
from promptship.names import check_name

if TYPE_CHECKING:
    from promptship.project import Project

SCHEME = "gs1"
SUFFIX = ".yaml"
RESULTS_DIR = "results"
TOP_KEYS = frozenset(("prompt", "description", "defaults", "cases", "gate"))
DEFAULTS_KEYS = frozenset(("vars",))
CASE_KEYS = frozenset(("id", "description", "vars", "expect", "assert", "tags"))
GATE_KEYS = frozenset(("min_pass_rate", "by_tag", "no_regressions"))
ID_RE = re.compile(r"[A-Za-z0-9_.-]+")
IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

Lines = strict_yaml.Lines
At = tuple[str | int, ...]


@dataclass(frozen=True)
class Case:
    id: str
    vars: dict[str, Any]  # defaults merged, the case's own values win
    asserts: tuple[AssertionSpec, ...]
    tags: tuple[str, ...]
    line: int
    description: str | None = None

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "vars": self.vars,
            "asserts": [a.payload() for a in self.asserts],
            "tags": list(self.tags),
        }


@dataclass(frozen=True)
class GateCheck:
    rule: str  # "min_pass_rate", "by_tag:billing", "no_regressions"
    expected: Any
    actual: Any
    passed: bool


@dataclass(frozen=True)
class Gate:
    """Rules a run must meet. Omitted: every case passes and nothing regresses."""

    min_pass_rate: float = 1.0
    by_tag: dict[str, float] = field(default_factory=dict)
    no_regressions: bool = True
    line: int | None = field(default=None, compare=False)

    def payload(self) -> dict[str, Any]:
        return {
            "min_pass_rate": self.min_pass_rate,
            "by_tag": self.by_tag,
            "no_regressions": self.no_regressions,
        }

    def check(
        self, pass_rate: float, by_tag: dict[str, float], regressions: list[str]
    ) -> list[GateCheck]:
        """Each rule against a run's summary; the gate passes when every check passes.

        `by_tag` holds the pass rate of each tag that had cases in the run; a gated tag with
        no cases in a narrowed run (filter, shard) is not checked.
        """
        checks = [
            GateCheck(
                "min_pass_rate", self.min_pass_rate, pass_rate, pass_rate >= self.min_pass_rate
            )
        ]
        for tag, rate in self.by_tag.items():
            if tag in by_tag:
                checks.append(GateCheck(f"by_tag:{tag}", rate, by_tag[tag], by_tag[tag] >= rate))
        if self.no_regressions:
            checks.append(GateCheck("no_regressions", [], regressions, not regressions))
        return checks


@dataclass(frozen=True)
class GoldenSet:
    name: str
    path: str  # as shown to users, relative to the project root
    cases: tuple[Case, ...]
    gate: Gate
    defaults: dict[str, Any]  # the `defaults.vars` mapping
    description: str | None = None
    prompt_line: int | None = field(default=None, compare=False)

    def payload(self) -> dict[str, Any]:
        """The canonical content the SHA covers."""
        return {
            "kind": "golden-set",
            "prompt": self.name,
            "cases": [c.payload() for c in self.cases],
            "gate": self.gate.payload(),
        }

    @property
    def sha(self) -> str:
        document = {"scheme": SCHEME, **self.payload()}
        return sha_scheme.content_sha(document)

    @property
    def tags(self) -> list[str]:
        return sorted({t for c in self.cases for t in c.tags})

    def case(self, case_id: str) -> Case:
        for case in self.cases:
            if case.id == case_id:
                return case
        raise PromptshipError(
            f"{self.path} has no case {case_id!r}", fix=f"cases: {', '.join(self.ids())}"
        )

    def ids(self) -> list[str]:
        return [c.id for c in self.cases]


def golden_set_path(project: Project, name: str) -> Path:
    """Where the golden set of prompt `name` lives: `<evals_dir>/<name>.yaml`."""
    check_name(name)
    return project.evals_path / f"{name}{SUFFIX}"


def load_golden_set(project: Project, name: str) -> GoldenSet:
    path = golden_set_path(project, name)
    display = project.rel(path)
    if not path.is_file():
        raise PromptshipError(
            f"no golden set for {name!r}: {display} does not exist",
            fix=f"create {display} with 'prompt: {name}' and a list of cases",
        )
    return load_file(path, name, display)


def load_file(path: Path, name: str, display: str) -> GoldenSet:
    return parse_golden_set(read_text(path, display), path=display, name=name)


def read_text(path: Path, display: str) -> str:
    from promptship.prompt import decode

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PromptshipError(f"cannot read file: {exc.strerror}", where=display) from None
    return decode(data, display)


def parse_golden_set(text: str, *, path: str, name: str) -> GoldenSet:
    """Parse and validate golden-set YAML for prompt `name`; errors carry `path:line`."""
    lines: Lines = {}
    raw = strict_yaml.load(text, path, lines=lines)
    if not isinstance(raw, dict):
        raise PromptshipError(
            f"a golden set must be a mapping, got {_kind(raw)}",
            where=where(path, 1),
            fix=f"start with 'prompt: {name}' and 'cases:'",
        )
    _reject_unknown(raw, TOP_KEYS, path, lines, ())
    prompt = raw.get("prompt")
    if prompt != name:
        raise PromptshipError(
            f"'prompt' must be {name!r} (the file's name), got {prompt!r}"
            if prompt is not None
            else "missing 'prompt'",
            where=where(path, lines.get(("prompt",), 1)),
            fix=f"write 'prompt: {name}', or rename the file to evals/<prompt>.yaml",
        )
    defaults = _defaults(raw.get("defaults"), path, lines)
    cases = _cases(raw.get("cases"), defaults, path, lines)
    gate = _gate(raw.get("gate"), cases, path, lines)
    return GoldenSet(
        name=name,
        path=path,
        cases=cases,
        gate=gate,
        defaults=defaults,
        description=_optional_text(raw, "description", path, lines, ()),
        prompt_line=lines.get(("prompt",)),
    )


def _defaults(raw: Any, path: str, lines: Lines) -> dict[str, Any]:
    if raw is None:
        return {}
    at: At = ("defaults",)
    _require_mapping(raw, path, lines, at, "e.g. defaults: {vars: {ticket_type: email}}")
    _reject_unknown(raw, DEFAULTS_KEYS, path, lines, at)
    return _vars(raw.get("vars"), path, lines, (*at, "vars"))


def _vars(raw: Any, path: str, lines: Lines, at: At) -> dict[str, Any]:
    if raw is None:
        return {}
    _require_mapping(raw, path, lines, at, "e.g. vars: {ticket_text: 'I need a refund'}")
    for key, value in raw.items():
        line = lines.get((*at, key))
        if not IDENTIFIER_RE.fullmatch(key):
            raise PromptshipError(
                f"invalid variable name {key!r}",
                where=where(path, line),
                fix="use letters, digits and '_', not starting with a digit",
            )
        try:
            sha_scheme.canonical_json(value)
        except sha_scheme.CanonicalError as exc:
            raise PromptshipError(
                f"variable {key!r}: {exc}",
                where=where(path, line),
                fix="use text, a finite number, a boolean, a list or a mapping",
            ) from None
    return dict(raw)


def _cases(raw: Any, defaults: dict[str, Any], path: str, lines: Lines) -> tuple[Case, ...]:
    if raw is None:
        raise PromptshipError(
            "missing 'cases'", where=where(path, 1), fix="add 'cases:' with at least one case"
        )
    if not isinstance(raw, list) or not raw:
        raise PromptshipError(
            "'cases' must be a non-empty list",
            where=where(path, lines.get(("cases",))),
            fix="each case is a mapping with id, vars and expect or assert",
        )
    seen: dict[str, int] = {}
    cases = []
    for i, item in enumerate(raw):
        case = _case(item, defaults, path, lines, ("cases", i))
        if case.id in seen:
            raise PromptshipError(
                f"duplicate case id {case.id!r} (first at line {seen[case.id]})",
                where=where(path, lines.get(("cases", i, "id"), case.line)),
                fix="give every case a unique id",
            )
        seen[case.id] = case.line
        cases.append(case)
    return tuple(cases)


def _case(item: Any, defaults: dict[str, Any], path: str, lines: Lines, at: At) -> Case:
    line = lines.get(at) or 1
    _require_mapping(item, path, lines, at, "e.g. {id: refund, vars: {...}, expect: billing}")
    _reject_unknown(item, CASE_KEYS, path, lines, at)
    case_id = item.get("id")
    if not isinstance(case_id, str) or not ID_RE.fullmatch(case_id):
        raise PromptshipError(
            f"case id must be letters, digits, '_', '.' or '-', got {case_id!r}"
            if case_id is not None
            else "case has no 'id'",
            where=where(path, lines.get((*at, "id"), line)),
            fix="e.g. id: billing-refund",
        )
    asserts: list[AssertionSpec] = []
    if "expect" in item:
        expect = item["expect"]
        expect_line = lines.get((*at, "expect"), line)
        if not isinstance(expect, str) or not expect.strip():
            raise PromptshipError(
                f"'expect' must be non-empty text, got {expect!r}",
                where=where(path, expect_line),
                fix='quote it: expect: "42"',
            )
        asserts.append(equals_spec(expect, expect_line))
    raw_asserts = item.get("assert")
    if raw_asserts is not None:
        if not isinstance(raw_asserts, list):
            raise PromptshipError(
                f"'assert' must be a list, got {_kind(raw_asserts)}",
                where=where(path, lines.get((*at, "assert"), line)),
                fix="e.g. assert: [{type: contains, value: refund}]",
            )
        asserts.extend(
            parse_assertion(a, path, lines, (*at, "assert", j)) for j, a in enumerate(raw_asserts)
        )
    if not asserts:
        raise PromptshipError(
            f"case {case_id!r} checks nothing",
            where=where(path, line),
            fix="add 'expect: <answer>' or an 'assert:' list",
        )
    tags = item.get("tags", [])
    if tags is None:
        tags = []
    if not isinstance(tags, list) or not all(
        isinstance(t, str) and ID_RE.fullmatch(t) for t in tags
    ):
        raise PromptshipError(
            f"'tags' must be a list of words (letters, digits, '_', '.', '-'), got {tags!r}",
            where=where(path, lines.get((*at, "tags"), line)),
            fix="e.g. tags: [billing]",
        )
    own_vars = _vars(item.get("vars"), path, lines, (*at, "vars"))
    return Case(
        id=case_id,
        vars={**defaults, **own_vars},
        asserts=tuple(asserts),
        tags=tuple(dict.fromkeys(tags)),
        line=line,
        description=_optional_text(item, "description", path, lines, at),
    )


def _gate(raw: Any, cases: tuple[Case, ...], path: str, lines: Lines) -> Gate:
    if raw is None:
        return Gate()
    at: At = ("gate",)
    line = lines.get(at)
    _require_mapping(raw, path, lines, at, "e.g. gate: {min_pass_rate: 0.9, no_regressions: true}")
    _reject_unknown(raw, GATE_KEYS, path, lines, at)
    min_rate = _rate(raw.get("min_pass_rate", 1.0), path, lines.get((*at, "min_pass_rate"), line))
    by_tag_raw = raw.get("by_tag", {}) or {}
    _require_mapping(by_tag_raw, path, lines, (*at, "by_tag"), "e.g. by_tag: {billing: 1.0}")
    known = {t for c in cases for t in c.tags}
    by_tag: dict[str, float] = {}
    for tag, rate in by_tag_raw.items():
        tag_line = lines.get((*at, "by_tag", tag), line)
        if tag not in known:
            raise PromptshipError(
                f"gate.by_tag names tag {tag!r}, which no case has",
                where=where(path, tag_line),
                fix=f"tags in this file: {', '.join(sorted(known)) or 'none'}",
            )
        by_tag[tag] = _rate(rate, path, tag_line)
    no_regressions = raw.get("no_regressions", True)
    if not isinstance(no_regressions, bool):
        raise PromptshipError(
            f"'no_regressions' must be true or false, got {no_regressions!r}",
            where=where(path, lines.get((*at, "no_regressions"), line)),
            fix="write true or false",
        )
    return Gate(min_rate, by_tag, no_regressions, line)


def _rate(value: Any, path: str, line: int | None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise PromptshipError(
            f"a pass rate must be a number from 0 to 1, got {value!r}",
            where=where(path, line),
            fix="e.g. 0.9 for 90%",
        )
    return float(value)


def _optional_text(raw: dict[str, Any], key: str, path: str, lines: Lines, at: At) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise PromptshipError(
            f"{key!r} must be text, got {_kind(value)}",
            where=where(path, lines.get((*at, key))),
            fix="quote it",
        )
    return value


def _require_mapping(raw: Any, path: str, lines: Lines, at: At, fix: str) -> None:
    if not isinstance(raw, dict):
        label = next((p for p in reversed(at) if isinstance(p, str)), "value")
        raise PromptshipError(
            f"{label!r} must be a mapping, got {_kind(raw)}",
            where=where(path, lines.get(at)),
            fix=fix,
        )


def _reject_unknown(
    raw: dict[str, Any], allowed: frozenset[str], path: str, lines: Lines, at: At
) -> None:
    import difflib

    for key in raw:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            raise PromptshipError(
                f"unknown key {key!r}",
                where=where(path, lines.get((*at, key))),
                fix=f"did you mean {close[0]!r}?"
                if close
                else f"allowed: {', '.join(sorted(allowed))}",
            )


def _kind(value: Any) -> str:
    from promptship.prompt import _kind as kind

    return kind(value)


# --- check --------------------------------------------------------------------------------


def golden_set_files(project: Project) -> list[Path]:
    """Every golden set file under the evals directory (recorded results excluded)."""
    base = project.evals_path
    if not base.is_dir():
        return []
    results = base / RESULTS_DIR
    return sorted(p for p in base.rglob(f"*{SUFFIX}") if p.is_file() and results not in p.parents)


def name_of(project: Project, path: Path) -> str:
    return path.relative_to(project.evals_path).as_posix().removesuffix(SUFFIX)


def check_problems(project: Project, files: set[Path] | None) -> list[Problem]:
    """Validate golden sets: format, assertions, and variables against the prompt's latest version.

    With `files`, checks the golden sets among them and those of prompts whose files changed.
    """
    problems: list[Problem] = [
        Problem(
            project.rel(path),
            None,
            "golden sets are read only from .yaml files",
            f"rename it to {path.with_suffix(SUFFIX).name}",
        )
        for path in _misnamed(project, files)
    ]
    from promptship import text_rules

    for path in _selected(project, files):
        display = project.rel(path)
        try:
            name = check_name(name_of(project, path), where=display)
            text = read_text(path, display)
            golden = parse_golden_set(text, path=display, name=name)
            # Golden cases are often real tickets: keys pasted in them must not be committed.
            problems.extend(text_rules.text_problems(text, display))
        except PromptshipError as exc:
            problems.append(Problem.from_error(exc, display))
            continue
        problems.extend(_prompt_problems(project, golden))
    return problems


def _misnamed(project: Project, files: set[Path] | None) -> list[Path]:
    base = project.evals_path
    if not base.is_dir():
        return []
    if files is not None:  # the pre-commit path: look only at the files given
        return _under_evals(project, files, ".yml")
    return sorted(p for p in base.rglob("*.yml") if base / RESULTS_DIR not in p.parents)


def _selected(project: Project, files: set[Path] | None) -> list[Path]:
    if files is None:
        return golden_set_files(project)
    wanted = {f.resolve() for f in files}
    prompts = project.prompts_path.resolve()
    for f in wanted.copy():
        if prompts in f.parents:  # a prompt file changed: recheck its golden set
            name = f.parent.relative_to(prompts).as_posix()
            wanted.add((project.evals_path / f"{name}{SUFFIX}").resolve())
    return [p for p in _under_evals(project, wanted, SUFFIX) if p.is_file()]


def _under_evals(project: Project, files: set[Path], suffix: str) -> list[Path]:
    """The given files that are golden-set files with `suffix`, without listing evals/."""
    evals = project.evals_path.resolve()
    results = evals / RESULTS_DIR
    found = {
        project.evals_path / f.resolve().relative_to(evals)
        for f in files
        if f.suffix == suffix
        and evals in f.resolve().parents
        and results not in f.resolve().parents
    }
    return sorted(found)


def _prompt_problems(project: Project, golden: GoldenSet) -> list[Problem]:
    try:
        project.prompt_dir(golden.name)  # reads one folder, not the whole prompts/ tree
    except PromptshipError:
        return [
            Problem(
                golden.path,
                golden.prompt_line,
                f"golden set for {golden.name!r}, but there is no such prompt",
                f"create prompts/{golden.name}/v1.md, or rename or delete this file",
            )
        ]
    try:
        version = project.load(golden.name, project.latest(golden.name))
    except PromptshipError:
        return []  # the prompt checker reports the broken prompt file itself
    problems = []
    declared = version.variables
    for case in golden.cases:
        for unknown in sorted(set(case.vars) - set(declared)):
            problems.append(
                Problem(
                    golden.path,
                    case.line,
                    f"case {case.id!r} sets variable {unknown!r}, which {version.ref} does not declare",
                    f"declared: {', '.join(declared) or 'none'}",
                )
            )
        for var in declared.values():
            if var.required and var.name not in case.vars:
                problems.append(
                    Problem(
                        golden.path,
                        case.line,
                        f"case {case.id!r} does not set {var.name!r}, which {version.ref} requires",
                        "add it to the case's vars or to defaults.vars",
                    )
                )
    problems.extend(_judge_problems(project, golden, version.model))
    return problems


def _judge_problems(project: Project, golden: GoldenSet, model: str) -> list[Problem]:
    specs = [spec for case in golden.cases for spec in case.asserts if spec.kind == "judge"]
    if not specs:
        return []  # the pre-commit hook does not pay for importing the judge
    from promptship import judge

    problems = []
    for spec in specs:
        try:
            judge.JudgeSpec.from_assertion(spec).resolve(project, model)
        except PromptshipError as exc:
            problems.append(Problem(golden.path, spec.line, exc.message, exc.fix))
    return problems
