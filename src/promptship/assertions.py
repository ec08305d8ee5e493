"""Assertions: what a golden-set case checks about one output.

Each assertion type is a small factory registered by name with `@assertion`: it receives the
parsed `AssertionSpec` when the golden set loads (so a bad regex or an unknown option is a
`file:line` error before anything runs) and returns an async check that turns an
`AssertionContext` into a `Verdict`. Deterministic content checks can be negated with a
`not_` prefix (`not_contains`); limits and the judge cannot.

    >>> spec = AssertionSpec("icontains", "icontains", False, "refund", {}, None)
    >>> import asyncio; asyncio.run(evaluate(spec, AssertionContext(output="A Refund")))
    Verdict(passed=True, score=1.0, reason="output contains 'refund' (ignoring case)")
"""

from __future__ import annotations

import inspect
import json
import math
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptship.errors import PromptshipError, where

if TYPE_CHECKING:
    from promptship.goldenset import Case
    from promptship.project import Project
    from promptship.providers.base import Request, Response

NEGATION = "not_"
PYTHON_REF_RE = re.compile(
    r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*"
)


@dataclass(frozen=True)
class Verdict:
    passed: bool
    score: float  # 0.0 .. 1.0
    reason: str


@dataclass(frozen=True)
class AssertionSpec:
    """One assertion as written in a golden set, e.g. `{type: not_contains, value: x}`."""

    type: str  # as written: "not_contains"
    kind: str  # the registered type: "contains"
    negated: bool
    value: Any
    options: Mapping[str, Any]  # every other key of the mapping
    line: int | None = field(default=None, compare=False)

    def payload(self) -> dict[str, Any]:
        """The canonical content that affects verdicts (hashed into the golden set SHA)."""
        return {"type": self.type, "value": self.value, **self.options}


Generate = Callable[[str, "Request"], Awaitable["Response"]]


@dataclass(frozen=True)
class AssertionContext:
    """Everything an assertion may look at for one output.

    `generate(model, request)` is how the judge calls a model (`model` is `provider/name`);
    the run engine passes one that caches and retries. `model` is the `provider/name` that
    produced `output` (after any `--model` override).
    """

    output: str
    case: Case | None = None
    latency_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    baseline_output: str | None = None
    generate: Generate | None = None
    model: str | None = None
    project: Project | None = None

    def usage(self) -> dict[str, Any]:
        return {
            "latency_ms": self.latency_ms,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
        }


Check = Callable[[AssertionContext], Awaitable[Verdict]]
Factory = Callable[[AssertionSpec], Check]


class SpecError(ValueError):
    """An invalid assertion spec; the loader adds `file:line`."""

    def __init__(self, message: str, fix: str | None = None, *, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.key = key  # the option at fault, for a precise line


@dataclass(frozen=True)
class Kind:
    name: str
    factory: Factory
    negatable: bool
    needs_value: bool
    options: frozenset[str]
    example: str


REGISTRY: dict[str, Kind] = {}


def assertion(
    name: str,
    *,
    negatable: bool,
    example: str,
    needs_value: bool = True,
    options: tuple[str, ...] = (),
) -> Callable[[Factory], Factory]:
    """Register an assertion factory under `name`."""

    def register(factory: Factory) -> Factory:
        REGISTRY[name] = Kind(name, factory, negatable, needs_value, frozenset(options), example)
        return factory

    return register


def known_types() -> list[str]:
    return sorted(REGISTRY)


# --- parsing ------------------------------------------------------------------------------

Lines = dict[tuple[str | int, ...], int]


def parse_assertion(raw: Any, path: str, lines: Lines, at: tuple[str | int, ...]) -> AssertionSpec:
    """Validate one `assert:` item; errors point at its line."""
    line = lines.get(at)
    if not isinstance(raw, dict):
        raise PromptshipError(
            f"an assertion must be a mapping, got {type(raw).__name__}",
            where=where(path, line),
            fix="e.g. {type: contains, value: refund}",
        )
    written = raw.get("type")
    if not isinstance(written, str):
        raise PromptshipError(
            "assertion has no 'type'",
            where=where(path, line),
            fix=f"known types: {', '.join(known_types())}",
        )
    type_line = lines.get((*at, "type"), line)
    negated = written.startswith(NEGATION) and written.removeprefix(NEGATION) in REGISTRY
    kind_name = written.removeprefix(NEGATION) if negated else written
    kind = REGISTRY.get(kind_name)
    if kind is None:
        import difflib

        close = difflib.get_close_matches(written, known_types(), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise PromptshipError(
            f"unknown assertion type {written!r}",
            where=where(path, type_line),
            fix=f"{hint}known types: {', '.join(known_types())}; prefix a content check with 'not_' to negate it",
        )
    if negated and not kind.negatable:
        raise PromptshipError(
            f"{written!r} is not allowed: {kind_name!r} cannot be negated",
            where=where(path, type_line),
            fix="only content checks (equals, contains, icontains, regex, one_of, json, json_schema, python) take 'not_'",
        )
    allowed = {"type", "value", *kind.options} if kind.needs_value else {"type", *kind.options}
    for key in raw:
        if key not in allowed:
            raise PromptshipError(
                f"unknown key {key!r} for a {kind_name} assertion",
                where=where(path, lines.get((*at, key), line)),
                fix=f"a {kind_name} assertion takes {', '.join(sorted(allowed))}; e.g. {kind.example}",
            )
    if kind.needs_value and "value" not in raw:
        raise PromptshipError(
            f"{written} assertion needs a 'value'",
            where=where(path, line),
            fix=f"e.g. {kind.example}",
        )
    options = {k: v for k, v in raw.items() if k not in ("type", "value")}
    spec = AssertionSpec(written, kind_name, negated, raw.get("value"), options, line)
    try:
        kind.factory(spec)
    except SpecError as exc:
        at_key = (*at, exc.key) if exc.key else (*at, "value")
        raise PromptshipError(
            f"{written} assertion: {exc.message}",
            where=where(path, lines.get(at_key, line)),
            fix=exc.fix or f"e.g. {kind.example}",
        ) from None
    return spec


def equals_spec(expected: str, line: int | None) -> AssertionSpec:
    """The `expect:` shorthand: equals after strip + casefold."""
    return AssertionSpec("equals", "equals", False, expected, {"ignore_case": True}, line)


# --- evaluation ---------------------------------------------------------------------------


async def evaluate(spec: AssertionSpec, ctx: AssertionContext) -> Verdict:
    """Run one assertion. Problems inside a check become failing verdicts, never crashes."""
    kind = REGISTRY[spec.kind]
    try:
        verdict = await kind.factory(spec)(ctx)
    except SpecError as exc:
        verdict = Verdict(False, 0.0, exc.message)
    if spec.negated:
        return Verdict(not verdict.passed, 1.0 - verdict.score, f"not: {verdict.reason}")
    return verdict


def _verdict(passed: bool, reason: str) -> Verdict:
    return Verdict(passed, 1.0 if passed else 0.0, reason)


def _clip(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _text(value: Any, what: str = "text") -> str:
    if not isinstance(value, str):
        raise SpecError(f"'value' must be {what}, got {type(value).__name__}", "quote the value")
    return value


def _bool_option(spec: AssertionSpec, key: str, default: bool) -> bool:
    value = spec.options.get(key, default)
    if not isinstance(value, bool):
        raise SpecError(f"{key!r} must be true or false", key=key)
    return value


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecError(f"'value' must be a number ({what}), got {value!r}")
    if value < 0:
        raise SpecError(f"'value' must not be negative, got {value!r}")
    return float(value)


# --- content checks -----------------------------------------------------------------------


@assertion(
    "equals", negatable=True, options=("ignore_case",), example="{type: equals, value: billing}"
)
def equals(spec: AssertionSpec) -> Check:
    """Output equals `value` after stripping surrounding whitespace (`ignore_case` casefolds)."""
    expected = _text(spec.value).strip()
    fold = _bool_option(spec, "ignore_case", False)

    async def check(ctx: AssertionContext) -> Verdict:
        got = ctx.output.strip()
        ok = got.casefold() == expected.casefold() if fold else got == expected
        how = " (ignoring case)" if fold else ""
        if ok:
            return _verdict(True, f"output equals {expected!r}{how}")
        return _verdict(False, f"expected {expected!r}{how}, got {_clip(got)}")

    return check


@assertion("contains", negatable=True, example="{type: contains, value: ORD-1042}")
def contains(spec: AssertionSpec) -> Check:
    needle = _text(spec.value)
    if not needle:
        raise SpecError("'value' must not be empty")

    async def check(ctx: AssertionContext) -> Verdict:
        if needle in ctx.output:
            return _verdict(True, f"output contains {needle!r}")
        return _verdict(False, f"output does not contain {needle!r}: {_clip(ctx.output)}")

    return check


@assertion("icontains", negatable=True, example="{type: icontains, value: refund}")
def icontains(spec: AssertionSpec) -> Check:
    needle = _text(spec.value)
    if not needle:
        raise SpecError("'value' must not be empty")

    async def check(ctx: AssertionContext) -> Verdict:
        if needle.casefold() in ctx.output.casefold():
            return _verdict(True, f"output contains {needle!r} (ignoring case)")
        return _verdict(
            False, f"output does not contain {needle!r} (ignoring case): {_clip(ctx.output)}"
        )

    return check


@assertion("regex", negatable=True, example="{type: regex, value: '\\[[0-9]+\\]'}")
def regex(spec: AssertionSpec) -> Check:
    """`re.search` anywhere in the output; use inline flags like `(?i)` or anchors for more."""
    pattern_text = _text(spec.value, "a regular expression")
    try:
        pattern = re.compile(pattern_text)
    except re.error as exc:
        raise SpecError(
            f"invalid regular expression {pattern_text!r}: {exc}",
            "fix the pattern (Python re syntax; quote it in single quotes in YAML)",
        ) from None

    async def check(ctx: AssertionContext) -> Verdict:
        match = pattern.search(ctx.output)
        if match:
            return _verdict(True, f"output matches /{pattern_text}/ at {_clip(match.group(0), 40)}")
        return _verdict(False, f"output does not match /{pattern_text}/: {_clip(ctx.output)}")

    return check


@assertion(
    "one_of",
    negatable=True,
    options=("ignore_case",),
    example="{type: one_of, value: [billing, technical, account, other]}",
)
def one_of(spec: AssertionSpec) -> Check:
    """Output (stripped) equals one of the listed values."""
    values = spec.value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise SpecError("'value' must be a non-empty list of text")
    fold = _bool_option(spec, "ignore_case", False)
    allowed = [v.strip() for v in values]
    keys = {v.casefold() if fold else v for v in allowed}

    async def check(ctx: AssertionContext) -> Verdict:
        got = ctx.output.strip()
        if (got.casefold() if fold else got) in keys:
            return _verdict(True, f"output {got!r} is one of the allowed values")
        return _verdict(False, f"output {_clip(got)} is not one of {allowed}")

    return check


def _parse_json(output: str) -> tuple[Any, str | None]:
    try:
        return json.loads(output), None
    except ValueError as exc:
        return None, f"output is not JSON ({exc}): {_clip(output)}"


@assertion("json", negatable=True, needs_value=False, example="{type: json}")
def json_(spec: AssertionSpec) -> Check:
    """The whole output (surrounding whitespace aside) parses as JSON."""

    async def check(ctx: AssertionContext) -> Verdict:
        _, error = _parse_json(ctx.output)
        return _verdict(error is None, error or "output is valid JSON")

    return check


@assertion(
    "json_schema",
    negatable=True,
    example="{type: json_schema, value: {type: object, required: [category]}}",
)
def json_schema(spec: AssertionSpec) -> Check:
    """The output parses as JSON and validates against the JSON Schema in `value`."""
    import jsonschema

    schema = spec.value
    if not isinstance(schema, dict):
        raise SpecError("'value' must be a JSON Schema mapping")
    validator_class = jsonschema.validators.validator_for(schema)
    try:
        validator_class.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise SpecError(f"invalid JSON Schema: {exc.message}", "fix the schema") from None
    validator = validator_class(schema)

    async def check(ctx: AssertionContext) -> Verdict:
        data, error = _parse_json(ctx.output)
        if error:
            return _verdict(False, error)
        problem = jsonschema.exceptions.best_match(validator.iter_errors(data))
        if problem is None:
            return _verdict(True, "output matches the JSON Schema")
        at = "/".join(str(p) for p in problem.absolute_path) or "(root)"
        return _verdict(False, f"output does not match the JSON Schema at {at}: {problem.message}")

    return check


# --- custom python ------------------------------------------------------------------------


@assertion(
    "python",
    negatable=True,
    options=("threshold",),
    example="{type: python, value: 'checks.triage:is_polite'}",
)
def python(spec: AssertionSpec) -> Check:
    """`module:function` importable from the project root, called as `f(output, case, usage)`.

    It may be async. It returns a bool, a score in [0, 1] (passing at `threshold`, default
    0.5), or a mapping/object with `pass`/`passed`, `score` and `reason`. Anything it raises
    becomes a failing verdict with the exception as the reason.
    """
    ref = _text(spec.value, "'module:function'")
    if not PYTHON_REF_RE.fullmatch(ref):
        raise SpecError(f"{ref!r} is not 'module:function'", "e.g. checks.triage:is_polite")
    threshold = spec.options.get("threshold", 0.5)
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not 0 <= threshold <= 1
    ):
        raise SpecError("'threshold' must be a number from 0 to 1", key="threshold")

    async def check(ctx: AssertionContext) -> Verdict:
        try:
            function = _import(ref, ctx.project.root if ctx.project else None)
            result = function(ctx.output, ctx.case, ctx.usage())
            if inspect.isawaitable(result):
                result = await result
            return _python_verdict(result, float(threshold), ref)
        except Exception as exc:
            return Verdict(False, 0.0, f"{ref} raised {type(exc).__name__}: {exc}")

    return check


def _import(ref: str, root: Path | None) -> Callable[..., Any]:
    import importlib
    import sys

    module_name, _, attribute = ref.partition(":")
    if root is not None and str(root) not in sys.path:
        sys.path.insert(0, str(root))
    module = importlib.import_module(module_name)
    function = getattr(module, attribute, None)
    if not callable(function):
        raise TypeError(f"{module_name} has no function {attribute!r}")
    return function  # type: ignore[no-any-return]


def _python_verdict(result: Any, threshold: float, ref: str) -> Verdict:
    if isinstance(result, bool):
        return _verdict(result, f"{ref} returned {result}")
    if isinstance(result, int | float):
        value = float(result)
        if not 0 <= value <= 1:
            raise ValueError(f"score {value} is outside 0..1")
        return Verdict(
            value >= threshold, value, f"{ref} scored {value:g} (threshold {threshold:g})"
        )
    data = result if isinstance(result, Mapping) else getattr(result, "__dict__", None)
    if not isinstance(data, Mapping):
        raise TypeError(f"returned {type(result).__name__}; return a bool, a score or a mapping")
    passed = data.get("pass", data.get("passed"))
    raw_score = data.get("score")
    if raw_score is not None and (
        isinstance(raw_score, bool) or not isinstance(raw_score, int | float)
    ):
        raise TypeError(f"'score' must be a number, got {raw_score!r}")
    if passed is None:
        if raw_score is None:
            raise TypeError("returned a mapping without 'pass' or 'score'")
        passed = float(raw_score) >= threshold
    score = (1.0 if passed else 0.0) if raw_score is None else float(raw_score)
    reason = str(data.get("reason") or f"{ref} returned pass={bool(passed)}")
    return Verdict(bool(passed), float(score), reason)


# --- limits -------------------------------------------------------------------------------


def _limit(
    spec: AssertionSpec,
    what: str,
    unit: str,
    measure: Callable[[AssertionContext], float | None],
    missing: str,
) -> Check:
    limit = _number(spec.value, what)

    async def check(ctx: AssertionContext) -> Verdict:
        value = measure(ctx)
        if value is None:
            return _verdict(False, missing)
        if value <= limit:
            return _verdict(True, f"{what} {value:g}{unit} <= {limit:g}{unit}")
        return _verdict(False, f"{what} {value:g}{unit} exceeds {limit:g}{unit}")

    return check


@assertion("max_latency_ms", negatable=False, example="{type: max_latency_ms, value: 5000}")
def max_latency_ms(spec: AssertionSpec) -> Check:
    return _limit(spec, "latency", " ms", lambda c: c.latency_ms, "no latency was recorded")


@assertion("max_cost_usd", negatable=False, example="{type: max_cost_usd, value: 0.002}")
def max_cost_usd(spec: AssertionSpec) -> Check:
    return _limit(
        spec,
        "cost",
        " USD",
        lambda c: c.cost_usd,
        "cost is unknown for this model (no price in the pricing table)",
    )


@assertion("max_output_tokens", negatable=False, example="{type: max_output_tokens, value: 50}")
def max_output_tokens(spec: AssertionSpec) -> Check:
    return _limit(
        spec,
        "output tokens",
        "",
        lambda c: None if c.output_tokens is None else float(c.output_tokens),
        "the provider reported no output token count",
    )


# --- judge --------------------------------------------------------------------------------


@assertion(
    "judge",
    negatable=False,
    needs_value=False,
    options=("rubric", "model", "pairwise", "threshold", "allow_same_family"),
    example="{type: judge, rubric: 'Polite and names the order id'}",
)
def judge(spec: AssertionSpec) -> Check:
    """An LLM judge scores the output against `rubric` (see promptship.judge)."""
    from promptship import judge as judge_module

    settings = judge_module.JudgeSpec.from_assertion(spec)

    async def check(ctx: AssertionContext) -> Verdict:
        return await judge_module.run_judge(settings, ctx)

    return check
