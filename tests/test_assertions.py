from __future__ import annotations

import asyncio
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from promptship.assertions import (
    REGISTRY,
    AssertionContext,
    AssertionSpec,
    Verdict,
    equals_spec,
    evaluate,
    parse_assertion,
)
from promptship.errors import PromptshipError
from promptship.goldenset import Case
from promptship.project import Project


def spec(**raw: Any) -> AssertionSpec:
    return parse_assertion(raw, "evals/x.yaml", {}, ("cases", 0, "assert", 0))


def run(assertion: AssertionSpec, output: str = "", **context: Any) -> Verdict:
    return asyncio.run(evaluate(assertion, AssertionContext(output=output, **context)))


# (spec, passing output, failing output) for every deterministic content check.
CONTENT = [
    ({"type": "equals", "value": "billing"}, "  billing\n", "Billing"),
    ({"type": "equals", "value": "billing", "ignore_case": True}, " BILLING ", "billing."),
    ({"type": "contains", "value": "ORD-1"}, "order ORD-1 ok", "order ord-1"),
    ({"type": "icontains", "value": "I am not sure"}, "i AM not SURE.", "I'm not sure"),
    ({"type": "regex", "value": r"\[[0-9]+\]"}, "see [2].", "see (2)"),
    ({"type": "one_of", "value": ["billing", "other"]}, "other\n", "account"),
    ({"type": "one_of", "value": ["Billing"], "ignore_case": True}, "billing", "bill"),
    ({"type": "json"}, ' {"a": [1, 2]} ', "{'a': 1}"),
    (
        {
            "type": "json_schema",
            "value": {
                "type": "object",
                "required": ["category"],
                "properties": {"category": {"enum": ["billing", "technical"]}},
            },
        },
        '{"category": "billing"}',
        '{"category": "sales"}',
    ),
]


@pytest.mark.parametrize(("raw", "good", "bad"), CONTENT)
def test_content_checks_pass_fail_and_negate(raw: dict[str, Any], good: str, bad: str) -> None:
    passed = run(spec(**raw), good)
    failed = run(spec(**raw), bad)
    assert (passed.passed, passed.score) == (True, 1.0), passed
    assert (failed.passed, failed.score) == (False, 0.0), failed
    assert passed.reason and failed.reason
    negated = spec(**{**raw, "type": "not_" + raw["type"]})
    assert negated.negated and negated.kind == raw["type"]
    assert run(negated, good).passed is False
    flipped = run(negated, bad)
    assert (flipped.passed, flipped.score) == (True, 1.0)
    assert flipped.reason.startswith("not: ")


def test_failure_reasons_show_what_was_seen() -> None:
    assert run(spec(type="equals", value="billing"), "Billing").reason == (
        "expected 'billing', got 'Billing'"
    )
    reason = run(spec(type="json_schema", value={"type": "object", "required": ["a"]}), "{}").reason
    assert reason == "output does not match the JSON Schema at (root): 'a' is a required property"
    assert run(spec(type="json_schema", value={"type": "object"}), "nope").reason.startswith(
        "output is not JSON"
    )
    long = run(spec(type="contains", value="x"), "a" * 500).reason
    assert len(long) < 140 and long.endswith("...'")


def test_expect_shorthand_is_strip_and_casefold() -> None:
    expect = equals_spec("Technical", 3)
    assert run(expect, "  TECHNICAL\n").passed
    assert run(expect, "technical.").passed is False


LIMITS = [
    (
        "max_latency_ms",
        500,
        {"latency_ms": 499.5},
        {"latency_ms": 501.0},
        "no latency was recorded",
    ),
    ("max_cost_usd", 0.01, {"cost_usd": 0.01}, {"cost_usd": 0.02}, "cost is unknown"),
    ("max_output_tokens", 5, {"output_tokens": 5}, {"output_tokens": 6}, "no output token count"),
]


@pytest.mark.parametrize(("kind", "limit", "good", "bad", "missing"), LIMITS)
def test_limits(
    kind: str, limit: float, good: dict[str, Any], bad: dict[str, Any], missing: str
) -> None:
    assertion = spec(type=kind, value=limit)
    assert run(assertion, "x", **good).passed
    over = run(assertion, "x", **bad)
    assert over.passed is False and "exceeds" in over.reason
    unknown = run(assertion, "x")
    assert unknown.passed is False and missing in unknown.reason


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"type": "not_max_latency_ms", "value": 1}, "'max_latency_ms' cannot be negated"),
        ({"type": "not_max_cost_usd", "value": 1}, "'max_cost_usd' cannot be negated"),
        ({"type": "not_judge", "rubric": "x"}, "'judge' cannot be negated"),
        ({"type": "max_latency_ms", "value": -1}, "must not be negative"),
        ({"type": "max_output_tokens", "value": True}, "'value' must be a number"),
        ({"type": "one_of", "value": []}, "non-empty list of text"),
        ({"type": "contains", "value": ""}, "must not be empty"),
        ({"type": "contains", "value": 3}, "'value' must be text"),
        (
            {"type": "equals", "value": "x", "ignore_case": "yes"},
            "'ignore_case' must be true or false",
        ),
        ({"type": "regex", "value": "[a-"}, "invalid regular expression"),
        ({"type": "json", "value": "x"}, "unknown key 'value' for a json assertion"),
        ({"type": "json_schema", "value": "object"}, "JSON Schema mapping"),
        ({"type": "python", "value": "mod:f", "threshold": 2}, "'threshold' must be a number"),
        ({"type": "not_a_thing"}, "unknown assertion type 'not_a_thing'"),
    ],
)
def test_invalid_specs_fail_at_load(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(PromptshipError) as caught:
        spec(**raw)
    assert message in caught.value.format()
    assert caught.value.format().startswith("evals/x.yaml")


def test_every_registered_type_is_documented() -> None:
    docs = (Path(__file__).parent.parent / "docs" / "reference" / "golden-sets.md").read_text()
    for name in REGISTRY:
        assert f"`{name}`" in docs, name


# --- python assertions --------------------------------------------------------------------

CHECKS = """
import asyncio

def is_short(output, case, usage):
    return len(output) < 10

def score(output, case, usage):
    return 0.25 if "maybe" in output else 0.75

def detailed(output, case, usage):
    return {"pass": case.id == "c1" and usage["output_tokens"] == 3, "score": 0.9, "reason": f"saw {output!r}"}

class Result:
    def __init__(self, passed):
        self.passed = passed
        self.reason = "from an object"

def as_object(output, case, usage):
    return Result(output == "yes")

async def slow(output, case, usage):
    await asyncio.sleep(0)
    return output == "yes"

def boom(output, case, usage):
    raise ValueError("cannot parse the reply")

def bad_return(output, case, usage):
    return "yes"

def out_of_range(output, case, usage):
    return 7

not_callable = 3
"""


@pytest.fixture
def checks_project(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Project, str]:
    # A package per test: Python caches imported packages by name for the whole session.
    package = "checks_" + re.sub(r"\W", "_", request.node.name)
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / package / "triage.py").write_text(textwrap.dedent(CHECKS))
    return Project(tmp_path), f"{package}.triage"


def python_verdict(
    checks: tuple[Project, str], function: str, output: str, **extra: Any
) -> Verdict:
    project, module = checks
    case = Case("c1", {"q": "?"}, (), ("t",), 3)
    assertion = spec(type="python", value=f"{module}:{function}", **extra)
    return run(assertion, output, case=case, project=project, output_tokens=3, latency_ms=10.0)


def test_python_bool_and_async(checks_project: tuple[Project, str]) -> None:
    assert python_verdict(checks_project, "is_short", "short").passed
    assert not python_verdict(checks_project, "is_short", "much too long").passed
    assert python_verdict(checks_project, "slow", "yes").passed


def test_python_score_uses_threshold(checks_project: tuple[Project, str]) -> None:
    low = python_verdict(checks_project, "score", "maybe")
    assert (low.passed, low.score) == (False, 0.25)
    assert python_verdict(checks_project, "score", "maybe", threshold=0.2).passed
    assert python_verdict(checks_project, "score", "sure").passed


def test_python_gets_output_case_and_usage(checks_project: tuple[Project, str]) -> None:
    verdict = python_verdict(checks_project, "detailed", "hi")
    assert verdict == Verdict(True, 0.9, "saw 'hi'")
    assert python_verdict(checks_project, "as_object", "yes") == Verdict(
        True, 1.0, "from an object"
    )


def test_python_negated(checks_project: tuple[Project, str]) -> None:
    project, module = checks_project
    assertion = spec(type="not_python", value=f"{module}:is_short")
    assert run(assertion, "much too long", project=project).passed


@pytest.mark.parametrize(
    ("function", "reason"),
    [
        ("boom", "raised ValueError: cannot parse the reply"),
        ("bad_return", "raised TypeError: returned str; return a bool, a score or a mapping"),
        ("out_of_range", "raised ValueError: score 7.0 is outside 0..1"),
        ("not_callable", "raised TypeError"),
        ("missing", "has no function 'missing'"),
    ],
)
def test_python_problems_become_failing_verdicts(
    checks_project: tuple[Project, str], function: str, reason: str
) -> None:
    verdict = python_verdict(checks_project, function, "x")
    assert verdict.passed is False and verdict.score == 0.0
    assert reason in verdict.reason


def test_python_missing_module_is_a_failing_verdict(tmp_path: Path) -> None:
    verdict = run(spec(type="python", value="no_such_module_xyz:f"), "x", project=Project(tmp_path))
    assert verdict.passed is False
    assert "ModuleNotFoundError" in verdict.reason and "no_such_module_xyz" in verdict.reason
