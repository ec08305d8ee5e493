from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import CLI
from promptship.errors import PromptshipError
from promptship.goldenset import Gate, check_problems, load_golden_set, parse_golden_set
from promptship.project import Project

PATH = "evals/triage.yaml"

BASE = """\
prompt: triage
defaults: {vars: {ticket_type: email, tier: pro}}
cases:
  - id: billing-refund
    vars: {ticket_text: "I need a refund"}
    expect: billing
    tags: [billing]
  - id: api-bug
    vars: {ticket_text: "Your billing API returns wrong amounts", tier: free}
    assert:
      - {type: equals, value: technical}
      - {type: max_latency_ms, value: 5000}
    tags: [technical]
gate: {min_pass_rate: 0.9, by_tag: {billing: 1.0}, no_regressions: true}
"""


def parse(text: str) -> object:
    return parse_golden_set(textwrap.dedent(text), path=PATH, name="triage")


def error_of(text: str) -> str:
    with pytest.raises(PromptshipError) as caught:
        parse(text)
    return caught.value.format()


def test_parses_cases_defaults_and_gate() -> None:
    golden = parse_golden_set(BASE, path=PATH, name="triage")
    assert [c.id for c in golden.cases] == ["billing-refund", "api-bug"]
    first, second = golden.cases
    assert first.vars == {"ticket_type": "email", "tier": "pro", "ticket_text": "I need a refund"}
    assert second.vars["tier"] == "free"  # the case's own value wins over defaults
    assert first.line == 4 and second.line == 8
    assert [a.type for a in first.asserts] == ["equals"]
    assert first.asserts[0].options == {"ignore_case": True}  # expect: strip + casefold
    assert [a.type for a in second.asserts] == ["equals", "max_latency_ms"]
    assert second.asserts[1].line == 12
    assert golden.gate == Gate(0.9, {"billing": 1.0}, True)
    assert golden.defaults == {"ticket_type": "email", "tier": "pro"}
    assert golden.tags == ["billing", "technical"]


def test_gate_defaults_to_every_case_passing() -> None:
    golden = parse_golden_set(BASE.split("gate:")[0], path=PATH, name="triage")
    assert golden.gate == Gate(1.0, {}, True)


def test_gate_checks_each_rule() -> None:
    gate = Gate(0.9, {"billing": 1.0}, True)
    checks = gate.check(0.95, {"billing": 0.5, "technical": 1.0}, ["api-bug"])
    assert [(c.rule, c.passed) for c in checks] == [
        ("min_pass_rate", True),
        ("by_tag:billing", False),
        ("no_regressions", False),
    ]
    assert all(c.passed for c in gate.check(0.9, {"billing": 1.0}, []))
    # A tag a filtered run did not touch is not checked.
    assert [c.rule for c in gate.check(1.0, {}, [])] == ["min_pass_rate", "no_regressions"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- a\n", "evals/triage.yaml:1: a golden set must be a mapping, got a list"),
        ("prompt: other\ncases: []\n", "evals/triage.yaml:1: 'prompt' must be 'triage'"),
        ("cases: [{id: a, expect: x}]\n", "evals/triage.yaml:1: missing 'prompt'"),
        ("prompt: triage\n", "evals/triage.yaml:1: missing 'cases'"),
        ("prompt: triage\ncases: []\n", "evals/triage.yaml:2: 'cases' must be a non-empty list"),
        (
            "prompt: triage\ncasez: []\n",
            "evals/triage.yaml:2: unknown key 'casez' (did you mean 'cases'?)",
        ),
        (
            "prompt: triage\ncases:\n  - id: a\n    expect: x\n    varz: {}\n",
            "evals/triage.yaml:5: unknown key 'varz' (did you mean 'vars'?)",
        ),
        ("prompt: triage\ncases:\n  - expect: x\n", "evals/triage.yaml:3: case has no 'id'"),
        (
            "prompt: triage\ncases:\n  - id: a b\n    expect: x\n",
            "evals/triage.yaml:3: case id must be letters, digits",
        ),
        (
            "prompt: triage\ncases:\n  - {id: a, expect: x}\n  - {id: a, expect: y}\n",
            "evals/triage.yaml:4: duplicate case id 'a' (first at line 3)",
        ),
        ("prompt: triage\ncases:\n  - id: a\n", "evals/triage.yaml:3: case 'a' checks nothing"),
        (
            "prompt: triage\ncases:\n  - {id: a, expect: 42}\n",
            "evals/triage.yaml:3: 'expect' must be non-empty text",
        ),
        (
            "prompt: triage\ncases:\n  - {id: a, expect: x, vars: [1]}\n",
            "evals/triage.yaml:3: 'vars' must be a mapping, got a list",
        ),
        (
            "prompt: triage\ncases:\n  - id: a\n    expect: x\n    vars: {1bad: x}\n",
            "evals/triage.yaml:5: invalid variable name '1bad'",
        ),
        (
            "prompt: triage\ncases:\n  - {id: a, expect: x, tags: billing}\n",
            "evals/triage.yaml:3: 'tags' must be a list of words",
        ),
        (
            "prompt: triage\ncases:\n  - id: a\n    assert: {type: equals, value: x}\n",
            "evals/triage.yaml:4: 'assert' must be a list, got a mapping",
        ),
        (
            "prompt: triage\ncases:\n  - id: a\n    assert:\n      - {type: equalz, value: x}\n",
            "evals/triage.yaml:5: unknown assertion type 'equalz' (did you mean 'equals'? known types: contains, equals, icontains, json, json_schema, judge, max_cost_usd, max_latency_ms, max_output_tokens, one_of, python, regex",
        ),
        (
            "prompt: triage\ncases:\n  - id: a\n    assert:\n      - {type: regex, value: '(unclosed'}\n",
            "evals/triage.yaml:5: regex assertion: invalid regular expression '(unclosed'",
        ),
        (
            "prompt: triage\ncases:\n  - id: a\n    assert:\n      - {type: not_judge, rubric: polite}\n",
            "evals/triage.yaml:5: 'not_judge' is not allowed: 'judge' cannot be negated",
        ),
        (
            "prompt: triage\ncases:\n  - id: a\n    assert:\n      - {type: not_max_latency_ms, value: 10}\n",
            "evals/triage.yaml:5: 'not_max_latency_ms' is not allowed",
        ),
        (
            "prompt: triage\ncases:\n  - id: a\n    assert:\n      - type: contains\n        valeu: x\n",
            "evals/triage.yaml:6: unknown key 'valeu' for a contains assertion",
        ),
        (
            "prompt: triage\ncases:\n  - id: a\n    assert:\n      - {type: contains}\n",
            "evals/triage.yaml:5: contains assertion needs a 'value'",
        ),
        (
            "prompt: triage\ncases:\n  - id: a\n    assert:\n      - {value: x}\n",
            "evals/triage.yaml:5: assertion has no 'type'",
        ),
        (
            "prompt: triage\ncases:\n  - id: a\n    assert:\n      - {type: max_cost_usd, value: cheap}\n",
            "evals/triage.yaml:5: max_cost_usd assertion: 'value' must be a number",
        ),
        (
            "prompt: triage\ncases:\n  - id: a\n    assert:\n      - {type: json_schema, value: {type: objekt}}\n",
            "evals/triage.yaml:5: json_schema assertion: invalid JSON Schema",
        ),
        (
            "prompt: triage\ncases:\n  - id: a\n    assert:\n      - {type: python, value: not a ref}\n",
            "evals/triage.yaml:5: python assertion: 'not a ref' is not 'module:function'",
        ),
        (
            "prompt: triage\ncases:\n  - id: a\n    assert:\n      - {type: judge}\n",
            "evals/triage.yaml:5: judge assertion: needs a 'rubric'",
        ),
        (
            "prompt: triage\ncases:\n  - id: a\n    assert:\n      - type: judge\n        rubric: ok\n        threshold: 9\n",
            "evals/triage.yaml:7: judge assertion: 'threshold' must be a whole score from 1 to 5",
        ),
        (
            "prompt: triage\ncases: [{id: a, expect: x}]\ngate: {min_pass_rate: 90}\n",
            "evals/triage.yaml:3: a pass rate must be a number from 0 to 1, got 90",
        ),
        (
            "prompt: triage\ncases: [{id: a, expect: x}]\ngate:\n  by_tag: {billing: 1.0}\n",
            "evals/triage.yaml:4: gate.by_tag names tag 'billing', which no case has",
        ),
        (
            "prompt: triage\ncases: [{id: a, expect: x}]\ngate: {no_regressions: 1}\n",
            "evals/triage.yaml:3: 'no_regressions' must be true or false",
        ),
        (
            "prompt: triage\ncases: [{id: a, expect: x}]\ngate: {max_cost: 1}\n",
            "evals/triage.yaml:3: unknown key 'max_cost'",
        ),
        (
            "prompt: triage\ndefaults: {var: {}}\ncases: [{id: a, expect: x}]\n",
            "evals/triage.yaml:2: unknown key 'var' (did you mean 'vars'?)",
        ),
        (
            "prompt: triage\ncases: [{id: a, expect: no}]\n",
            "evals/triage.yaml:2: YAML 1.1 reads 'no' as a boolean",
        ),
        ("prompt: triage\ncases: [{id: a, expect: x}\n", "evals/triage.yaml:3: invalid YAML"),
    ],
)
def test_errors_name_file_and_line(text: str, expected: str) -> None:
    assert error_of(text).startswith(expected)


def test_errors_carry_a_fix() -> None:
    message = error_of("prompt: triage\ncases:\n  - id: a\n    assert:\n      - {type: nope}\n")
    assert "known types:" in message and "'not_'" in message


SHA_VARIANTS_SAME = [
    # Comments, blank lines, flow vs block style, key order and descriptions do not matter.
    "# a comment\n" + BASE.replace("cases:\n", "\ncases:  # the cases\n"),
    BASE.replace(
        'vars: {ticket_text: "I need a refund"}', "vars:\n      ticket_text: I need a refund"
    ),
    BASE.replace(
        "    expect: billing\n    tags: [billing]", "    tags: [billing]\n    expect: billing"
    ),
    BASE.replace("  - id: api-bug\n", "  - id: api-bug\n    description: the incident ticket\n"),
    "description: triage cases\n" + BASE,
    # Defaults are merged into the cases; writing them out per case is the same content.
    BASE.replace("defaults: {vars: {ticket_type: email, tier: pro}}\n", "")
    .replace(
        'vars: {ticket_text: "I need a refund"}',
        'vars: {ticket_text: "I need a refund", ticket_type: email, tier: pro}',
    )
    .replace(
        'vars: {ticket_text: "Your billing API returns wrong amounts", tier: free}',
        'vars: {ticket_text: "Your billing API returns wrong amounts", tier: free, ticket_type: email}',
    ),
    # expect: is the same check as the equals assertion it stands for.
    BASE.replace(
        "    expect: billing\n", "    assert: [{type: equals, value: billing, ignore_case: true}]\n"
    ),
    # The gate's defaults written out.
    BASE.replace("no_regressions: true}", "no_regressions: true}\n"),
    BASE.replace("gate: {min_pass_rate: 0.9,", "gate: {min_pass_rate: 0.90,"),
]

SHA_VARIANTS_DIFFERENT = [
    BASE.replace("I need a refund", "I need a refund!"),
    BASE.replace("expect: billing", "expect: technical"),
    BASE.replace("value: 5000", "value: 4000"),
    BASE.replace("tags: [technical]", "tags: [technical, api]"),
    BASE.replace("tier: free", "tier: enterprise"),
    BASE.replace("ticket_type: email", "ticket_type: chat"),
    BASE.replace("min_pass_rate: 0.9", "min_pass_rate: 0.8"),
    BASE.replace("billing: 1.0}", "billing: 0.5}"),
    BASE.replace("no_regressions: true", "no_regressions: false"),
    BASE.replace("{type: equals, value: technical}", "{type: not_equals, value: technical}"),
    BASE.replace("id: api-bug", "id: api-bug-2"),
    # Case order is part of the content (reports and shards follow it).
    BASE.replace(
        '  - id: billing-refund\n    vars: {ticket_text: "I need a refund"}\n    expect: billing\n    tags: [billing]\n',
        "",
    ).replace(
        "gate:",
        '  - id: billing-refund\n    vars: {ticket_text: "I need a refund"}\n    expect: billing\n    tags: [billing]\ngate:',
    ),
]


def sha_of(text: str) -> str:
    return parse_golden_set(text, path=PATH, name="triage").sha


def test_sha_ignores_comments_layout_and_docs() -> None:
    base = sha_of(BASE)
    assert base.startswith("sha256:") and len(base) == 71
    for variant in SHA_VARIANTS_SAME:
        assert sha_of(variant) == base, variant


def test_sha_changes_with_any_case_or_gate_change() -> None:
    shas = {sha_of(BASE)} | {sha_of(v) for v in SHA_VARIANTS_DIFFERENT}
    assert len(shas) == len(SHA_VARIANTS_DIFFERENT) + 1


VECTOR_YAML = 'prompt: t\ncases:\n  - {id: a, vars: {x: "1"}, expect: B}\n'
VECTOR_CANONICAL = (
    '{"cases":[{"asserts":[{"ignore_case":true,"type":"equals","value":"B"}],"id":"a",'
    '"tags":[],"vars":{"x":"1"}}],"gate":{"by_tag":{},"min_pass_rate":1,"no_regressions":true},'
    '"kind":"golden-set","prompt":"t","scheme":"gs1"}'
)
VECTOR_SHA = "sha256:a4083e5fdde71d895bb617a1e3044368ea82ca1fb185f62f8d7b18eb81037702"


def test_sha_test_vector() -> None:
    """The documented vector (docs/reference/golden-sets.md); change only with a new scheme."""
    import hashlib

    from promptship.sha import canonical_json

    golden = parse_golden_set(VECTOR_YAML, path="evals/t.yaml", name="t")
    assert canonical_json({"scheme": "gs1", **golden.payload()}) == VECTOR_CANONICAL
    assert hashlib.sha256(VECTOR_CANONICAL.encode()).hexdigest() == VECTOR_SHA.removeprefix(
        "sha256:"
    )
    assert golden.sha == VECTOR_SHA


@given(
    st.lists(
        st.text(
            alphabet=st.characters(
                codec="utf-8", exclude_categories=("Cs", "Cc", "Co", "Cn", "Cf")
            ),
            max_size=30,
        ),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from(["# c\n", "\n", ""]),
)
def test_sha_depends_on_values_not_quoting(values: list[str], prefix: str) -> None:
    cases = [{"id": f"c{i}", "vars": {"t": v}, "expect": "x"} for i, v in enumerate(values)]
    flow = json.dumps(
        {"prompt": "triage", "cases": cases}, ensure_ascii=False
    )  # JSON is YAML: double-quoted
    block = (
        prefix
        + "prompt: triage\ncases:\n"
        + "".join(
            f"  - id: c{i}\n    expect: x\n    vars:\n      t: {json.dumps(v, ensure_ascii=False)}\n"
            for i, v in enumerate(values)
        )
    )
    assert sha_of(flow) == sha_of(block)
    changed = [*cases[:-1], {**cases[-1], "vars": {"t": values[-1] + "!"}}]
    assert sha_of(json.dumps({"prompt": "triage", "cases": changed}, ensure_ascii=False)) != sha_of(
        flow
    )


def test_golden_set_sha_never_equals_a_prompt_sha() -> None:
    from promptship.sha import content_sha

    golden = parse_golden_set(BASE, path=PATH, name="triage")
    assert content_sha(golden.payload()) != golden.sha  # the scheme tag is part of the hash


def test_bundled_golden_sets_load(examples: Path) -> None:
    project = Project.find()
    triage = load_golden_set(project, "support_ticket_triage")
    assert len(triage.cases) >= 20
    expected = {
        "billing-refund": "billing",
        "payments-endpoint-500": "technical",
        "february-invoice": "billing",
        "sso-login": "account",
        "billing-api-wrong-amounts": "technical",
    }
    for case_id, answer in expected.items():
        assert triage.case(case_id).asserts[0].value == answer
    assert {"billing", "technical", "account", "other"} <= set(triage.tags)
    assert triage.gate.by_tag["billing"] > 0 and triage.gate.no_regressions
    refund = load_golden_set(project, "refund_handler")
    assert all(
        any(a.type == "not_contains" and "legacy-billing.example.com" in a.value for a in c.asserts)
        or any(a.type == "not_regex" and "legacy-billing" in a.value for a in c.asserts)
        for c in refund.cases
    )
    rag = load_golden_set(project, "rag_answer")
    assert {a.type for c in rag.cases for a in c.asserts} >= {"regex", "icontains"}
    assert check_problems(project, None) == []


def test_missing_golden_set_says_where_to_create_it(examples: Path) -> None:
    with pytest.raises(PromptshipError) as caught:
        load_golden_set(Project.find(), "nope")
    assert "evals/nope.yaml does not exist" in caught.value.format()


def test_file_name_must_match_prompt(examples: Path) -> None:
    path = examples / "evals" / "rag_answer.yaml"
    path.write_text(path.read_text().replace("prompt: rag_answer", "prompt: refund_handler"))
    with pytest.raises(PromptshipError) as caught:
        load_golden_set(Project.find(), "rag_answer")
    assert caught.value.format().startswith(
        "evals/rag_answer.yaml:3: 'prompt' must be 'rag_answer'"
    )


def test_check_reports_variables_against_the_prompt(examples: Path, cli: CLI) -> None:
    path = examples / "evals" / "support_ticket_triage.yaml"
    text = path.read_text()
    text = text.replace(
        'vars: {ticket_text: "I need a refund for my last payment"}',
        'vars: {ticket_txt: "I need a refund for my last payment"}',
    )
    path.write_text(text)
    result = cli("check", "--json")
    assert result.code == 1
    problems = (
        json.loads(result.out)["problems"]
        if result.out.strip().startswith("{")
        else json.loads(result.out)
    )
    messages = {(p["path"], p["line"], p["message"]) for p in problems}
    line = text.splitlines().index("  - id: billing-refund") + 1
    assert (
        "evals/support_ticket_triage.yaml",
        line,
        "case 'billing-refund' sets variable 'ticket_txt', which support_ticket_triage@v2 does not declare",
    ) in messages
    assert (
        "evals/support_ticket_triage.yaml",
        line,
        "case 'billing-refund' does not set 'ticket_text', which support_ticket_triage@v2 requires",
    ) in messages


def test_check_reports_golden_set_without_prompt_and_bad_files(examples: Path, cli: CLI) -> None:
    (examples / "evals" / "ghost.yaml").write_text("prompt: ghost\ncases: [{id: a, expect: x}]\n")
    (examples / "evals" / "broken.yaml").write_text("prompt: broken\ncases: [{id: a}]\n")
    (examples / "evals" / "typo.yml").write_text("prompt: typo\n")
    (examples / "evals" / "results").mkdir()
    (examples / "evals" / "results" / "ignored.yaml").write_text("not: a golden set\n")
    result = cli("check")
    assert result.code == 1
    assert (
        "evals/ghost.yaml:1: golden set for 'ghost', but there is no such prompt"
        in result.out + result.err
    )
    assert "evals/broken.yaml:2: case 'a' checks nothing" in result.out + result.err
    assert (
        "evals/typo.yml: golden sets are read only from .yaml files (rename it to typo.yaml)"
        in (result.out + result.err)
    )
    assert "ignored.yaml" not in result.out + result.err


def test_check_of_a_changed_prompt_file_rechecks_its_golden_set(examples: Path) -> None:
    path = examples / "evals" / "rag_answer.yaml"
    path.write_text(path.read_text().replace("question:", "querstion:", 1))
    project = Project.find()
    prompt_file = (examples / "prompts" / "rag_answer" / "v1.yaml").resolve()
    other_file = (examples / "prompts" / "refund_handler" / "v18.md").resolve()
    assert check_problems(project, {prompt_file})
    assert check_problems(project, {path.resolve()})
    assert check_problems(project, {other_file}) == []


def test_check_rejects_a_same_family_judge(examples: Path) -> None:
    path = examples / "evals" / "refund_handler.yaml"
    text = path.read_text().replace(
        "      - {type: icontains, value: 3 business days}",
        "      - {type: judge, rubric: Kind and brief, model: anthropic/claude-haiku-4-5}",
    )
    path.write_text(text)
    problems = check_problems(Project.find(), None)
    assert len(problems) == 1
    assert (
        problems[0].line
        == text.splitlines().index(
            "      - {type: judge, rubric: Kind and brief, model: anthropic/claude-haiku-4-5}"
        )
        + 1
    )
    assert "same model family (anthropic)" in problems[0].message
    assert "allow_same_family: true" in (problems[0].fix or "")


CASE_IDS = st.from_regex(r"[A-Za-z0-9_.-]{1,12}", fullmatch=True)
TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Co", "Cn", "Cf")),
    max_size=20,
)
VALUES = st.one_of(TEXT, st.integers(-1000, 1000), st.booleans(), st.lists(TEXT, max_size=3))


@given(
    st.lists(
        st.tuples(
            CASE_IDS,
            st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True), VALUES),
            st.lists(CASE_IDS, max_size=3),
        ),
        min_size=1,
        max_size=5,
        unique_by=lambda c: c[0],
    )
)
def test_parser_round_trips_any_valid_golden_set(
    cases: list[tuple[str, dict[str, Any], list[str]]],
) -> None:
    document = {
        "prompt": "triage",
        "cases": [{"id": i, "vars": v, "tags": t, "expect": "x"} for i, v, t in cases],
    }
    golden = parse_golden_set(json.dumps(document, ensure_ascii=False), path=PATH, name="triage")
    assert [(c.id, c.vars, list(c.tags)) for c in golden.cases] == [
        (i, v, list(dict.fromkeys(t))) for i, v, t in cases
    ]


def test_check_finds_a_key_pasted_into_a_golden_case(examples: Path, cli: CLI) -> None:
    path = examples / "evals" / "support_ticket_triage.yaml"
    key = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"
    text = path.read_text().replace(
        "I need a refund for my last payment", f"my key {key} was charged twice", 1
    )
    path.write_text(text)
    result = cli("check", str(path))
    assert result.code == 1
    assert "evals/support_ticket_triage.yaml:" in result.out
    assert key not in result.out + result.err  # reported masked, never echoed
