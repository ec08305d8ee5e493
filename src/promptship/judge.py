"""LLM-as-judge: rubric scoring and pairwise comparison against the baseline.

The judge writes its reasoning before its score and answers with one JSON object, which is
validated; an invalid answer gets one repair request, then becomes a failing verdict
("judge returned invalid output: ..."). Scored mode asks for

    {"reasoning": "...", "score": 1-5, "pass": true|false}

and the verdict's score is (score - 1) / 4. Pairwise mode asks which of two outputs better
meets the rubric, in both orders (candidate first, then baseline first), and counts an
order-dependent answer as a tie (position bias). By default the judge must come from a
different model family than the prompt's model (self-preference bias).

All calls go through `AssertionContext.generate`, so the run engine caches and retries them
like any other call; a `ProviderError` that survives the retries propagates, and the engine
records the case as an error rather than a failure.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from promptship.assertions import AssertionContext, AssertionSpec, Generate, SpecError, Verdict
from promptship.errors import PromptshipError
from promptship.prompt import MODEL_RE
from promptship.providers.base import Request

if TYPE_CHECKING:
    from promptship.goldenset import GoldenSet
    from promptship.project import Project

SCORE_MIN, SCORE_MAX = 1, 5
CONFIG_KEYS = frozenset(("model", "allow_same_family", "params"))
INVALID = "judge returned invalid output"
CONFIG_EXAMPLE = '[tool.promptship.judge] model = "anthropic/claude-sonnet-4-5"'

# Model families by the leading word of the model name: the judge should not grade its own
# family's answers. Unknown names fall back to the provider name.
_FAMILIES = (
    ("openai", ("gpt", "chatgpt", "o1", "o3", "o4", "davinci")),
    ("anthropic", ("claude",)),
    ("google", ("gemini", "gemma", "palm")),
    ("meta", ("llama", "meta-llama", "codellama")),
    ("mistral", ("mistral", "mixtral", "codestral", "ministral", "magistral")),
    ("alibaba", ("qwen", "qwq")),
    ("deepseek", ("deepseek",)),
    ("microsoft", ("phi",)),
    ("cohere", ("command",)),
    ("xai", ("grok",)),
)


def family(model: str) -> str:
    """The model family of `provider/name`.

    >>> family("openai/gpt-4o"), family("local/gemma3-270m"), family("vllm/meta-llama/Llama-3-8B")
    ('openai', 'google', 'meta')
    """
    provider, _, name = model.partition("/")
    for segment in name.lower().split("/"):
        for fam, prefixes in _FAMILIES:
            if segment.startswith(prefixes):
                return fam
    return provider


@dataclass(frozen=True)
class JudgeConfig:
    """`[tool.promptship.judge]`: the default judge model and its call parameters."""

    model: str | None = None
    allow_same_family: bool = False
    params: dict[str, Any] | None = None


def judge_config(project: Project | None) -> JudgeConfig:
    if project is None:
        return JudgeConfig()
    raw = project.config.section("judge")
    if raw is None:
        return JudgeConfig()
    at = str(project.config.path)
    if not isinstance(raw, dict):
        raise PromptshipError(
            "[tool.promptship.judge] must be a table", where=at, fix=CONFIG_EXAMPLE
        )
    for key in raw:
        if key not in CONFIG_KEYS:
            raise PromptshipError(
                f"unknown key {key!r} in [tool.promptship.judge]",
                where=at,
                fix=f"known keys: {', '.join(sorted(CONFIG_KEYS))}",
            )
    model = raw.get("model")
    if model is not None and (not isinstance(model, str) or not MODEL_RE.fullmatch(model)):
        raise PromptshipError(
            f"judge model must look like 'provider/name', got {model!r}",
            where=at,
            fix=CONFIG_EXAMPLE,
        )
    allow = raw.get("allow_same_family", False)
    params = raw.get("params")
    if not isinstance(allow, bool) or (params is not None and not isinstance(params, dict)):
        raise PromptshipError(
            "judge allow_same_family must be true/false and params a table",
            where=at,
            fix="e.g. allow_same_family = false, params = {max_tokens = 512}",
        )
    return JudgeConfig(model, allow, params)


@dataclass(frozen=True)
class JudgeSpec:
    """A validated `{type: judge, ...}` assertion."""

    rubric: str
    model: str | None = None
    pairwise: bool = False
    threshold: int | None = (
        None  # scored mode: pass when score >= threshold (else the judge's "pass")
    )
    allow_same_family: bool | None = None  # None: from config

    @classmethod
    def from_assertion(cls, spec: AssertionSpec) -> JudgeSpec:
        options = spec.options
        rubric = options.get("rubric")
        if not isinstance(rubric, str) or not rubric.strip():
            raise SpecError(
                "needs a 'rubric' (what a good output does)",
                "e.g. {type: judge, rubric: 'Apologises and names the order id'}",
                key="rubric",
            )
        model = options.get("model")
        if model is not None and (not isinstance(model, str) or not MODEL_RE.fullmatch(model)):
            raise SpecError(
                f"'model' must look like 'provider/name', got {model!r}",
                "e.g. model: anthropic/claude-sonnet-4-5",
                key="model",
            )
        pairwise = options.get("pairwise", False)
        allow = options.get("allow_same_family")
        for key, value in (("pairwise", pairwise), ("allow_same_family", allow)):
            if value is not None and not isinstance(value, bool):
                raise SpecError(f"{key!r} must be true or false", key=key)
        threshold = options.get("threshold")
        if threshold is not None:
            if pairwise:
                raise SpecError(
                    "'threshold' applies to scored judges, not pairwise", key="threshold"
                )
            if isinstance(threshold, bool) or threshold not in range(SCORE_MIN, SCORE_MAX + 1):
                raise SpecError(
                    f"'threshold' must be a whole score from {SCORE_MIN} to {SCORE_MAX}",
                    key="threshold",
                )
        return cls(rubric.strip(), model, bool(pairwise), threshold, allow)

    def resolve(self, project: Project | None, candidate_model: str | None) -> str:
        """The judge model to use, checked against the model being judged."""
        config = judge_config(project)
        model = self.model or config.model
        if model is None:
            raise PromptshipError(
                "a judge assertion needs a judge model",
                fix=f"add 'model: provider/name' to the assertion or set {CONFIG_EXAMPLE}",
            )
        allow = (
            self.allow_same_family
            if self.allow_same_family is not None
            else config.allow_same_family
        )
        if candidate_model and not allow and family(model) == family(candidate_model):
            raise PromptshipError(
                f"judge {model} is from the same model family ({family(model)}) as the model it "
                f"judges ({candidate_model}); judges favour their own family's answers",
                fix="choose a judge from another family, or set allow_same_family: true on the assertion",
            )
        return model


def check_judges(golden: GoldenSet, candidate_model: str, project: Project | None) -> None:
    """Before a run: every judge in `golden` has a usable model for `candidate_model`."""
    for case in golden.cases:
        for spec in case.asserts:
            if spec.kind == "judge":
                try:
                    JudgeSpec.from_assertion(spec).resolve(project, candidate_model)
                except PromptshipError as exc:
                    raise PromptshipError(
                        exc.message, where=f"{golden.path}:{spec.line}", fix=exc.fix
                    ) from None


# --- calling the judge --------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    score: int
    passed: bool
    reasoning: str


_SCORED_SYSTEM = f"""You are a strict evaluator. You grade one output against a rubric.
Reply with only one JSON object with exactly these keys, in this order:
- "reasoning": text; think step by step about how well the output meets the rubric, quoting it;
- "score": an integer from {SCORE_MIN} (fails the rubric) to {SCORE_MAX} (fully meets it);
- "pass": true if the output meets the rubric (score {SCORE_MAX - 1} or {SCORE_MAX}), false if not.
Write the reasoning first and decide the score only after it."""

_PAIRWISE_SYSTEM = """You are a strict evaluator. You compare two outputs, A and B, written for
the same input, against a rubric. Reply with only one JSON object with exactly these keys, in
this order:
- "reasoning": text; think step by step about how each output meets the rubric;
- "winner": "A" if A is better, "B" if B is better, "tie" if neither is better.
Write the reasoning first and decide the winner only after it. The order in which the outputs
are shown says nothing about their quality."""


def _input_block(variables: dict[str, Any] | None) -> str:
    if not variables:
        return ""
    return (
        "Input variables:\n"
        + json.dumps(variables, ensure_ascii=False, sort_keys=True, indent=1)
        + "\n\n"
    )


def _schema(properties: dict[str, Any]) -> dict[str, Any]:
    """Structured output for providers that constrain it; the reply is validated regardless."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


SCORED_SCHEMA = _schema(
    {
        "reasoning": {"type": "string"},
        "score": {"type": "integer", "minimum": SCORE_MIN, "maximum": SCORE_MAX},
        "pass": {"type": "boolean"},
    }
)
PAIRWISE_SCHEMA = _schema(
    {"reasoning": {"type": "string"}, "winner": {"type": "string", "enum": ["A", "B", "tie"]}}
)


def _request(
    model: str, system: str, user: str, config: JudgeConfig, schema: dict[str, Any]
) -> Request:
    provider, _, name = model.partition("/")
    params: dict[str, Any] = {"max_tokens": 512}
    if (
        provider != "anthropic"
    ):  # the anthropic SDK path takes no temperature (docs/reference/judge.md)
        params["temperature"] = 0
    if config.params is not None:
        params = dict(config.params)
    return Request(
        model=name,
        messages=({"role": "system", "content": system}, {"role": "user", "content": user}),
        params=params,
        output={"format": "json", "schema": schema},
    )


def parse_json_object(text: str, keys: tuple[str, ...]) -> tuple[dict[str, Any] | None, str]:
    """The judge's JSON object (code fences and surrounding prose tolerated), or the problem."""
    body = text.strip()
    fence = re.search(r"```(?:json)?\s*(.*?)```", body, re.DOTALL)
    if fence:
        body = fence.group(1).strip()
    start, end = body.find("{"), body.rfind("}")
    if start == -1 or end <= start:
        return None, "no JSON object in the reply"
    try:
        data = json.loads(body[start : end + 1])
    except ValueError as exc:
        return None, f"the reply is not valid JSON ({exc})"
    if not isinstance(data, dict):
        return None, "the reply is not a JSON object"
    missing = [k for k in keys if k not in data]
    if missing:
        return None, f"missing key(s) {', '.join(missing)}"
    order = [k for k in data if k in keys]
    if order != list(keys):
        return None, f"keys must come in the order {', '.join(keys)} (reasoning before the verdict)"
    reasoning = data["reasoning"]
    if not isinstance(reasoning, str) or not reasoning.strip():
        return None, "'reasoning' must be non-empty text"
    if re.fullmatch(r"\s*(<[^>]*>|\.\.\.)\s*", reasoning):
        return None, f"'reasoning' is a placeholder ({reasoning.strip()}), not reasoning"
    return data, ""


def _validate_score(data: dict[str, Any]) -> str:
    score = data["score"]
    if isinstance(score, float) and score.is_integer():
        data["score"] = score = int(score)
    if isinstance(score, bool) or not isinstance(score, int) or not SCORE_MIN <= score <= SCORE_MAX:
        return f"'score' must be an integer from {SCORE_MIN} to {SCORE_MAX}, got {score!r}"
    if not isinstance(data["pass"], bool):
        return f"'pass' must be true or false, got {data['pass']!r}"
    middle = (SCORE_MIN + SCORE_MAX) / 2
    if (data["pass"] and score < middle) or (not data["pass"] and score > middle):
        return f"'pass' ({str(data['pass']).lower()}) contradicts the score {score}"
    return ""


def _validate_winner(data: dict[str, Any]) -> str:
    winner = data["winner"]
    if not isinstance(winner, str) or winner.strip().upper() not in ("A", "B", "TIE"):
        return f'\'winner\' must be "A", "B" or "tie", got {winner!r}'
    return ""


async def _ask(
    generate: Generate,
    model: str,
    request: Request,
    keys: tuple[str, ...],
    validate: Any,
) -> tuple[dict[str, Any] | None, str]:
    """One judge call, validated; one repair attempt on invalid output."""
    messages = request.messages
    problem = ""
    for attempt in range(2):
        response = await generate(
            model, Request(request.model, messages, request.params, request.output)
        )
        data, problem = parse_json_object(response.text, keys)
        if data is not None:
            problem = validate(data)
            if not problem:
                return data, ""
        if attempt == 0:
            repair = (
                f"Your reply was invalid: {problem}. Reply again with only the JSON object, "
                f"keys in this order: {', '.join(keys)}."
            )
            messages = (
                *messages,
                {"role": "assistant", "content": response.text},
                {"role": "user", "content": repair},
            )
    return None, problem


async def score_output(
    generate: Generate,
    model: str,
    rubric: str,
    output: str,
    *,
    variables: dict[str, Any] | None = None,
    project: Project | None = None,
) -> Score | str:
    """Scored mode: the judge's `Score`, or why its output was invalid."""
    user = f"Rubric:\n{rubric}\n\n{_input_block(variables)}Output to grade:\n<output>\n{output}\n</output>"
    request = _request(model, _SCORED_SYSTEM, user, judge_config(project), SCORED_SCHEMA)
    data, problem = await _ask(
        generate, model, request, ("reasoning", "score", "pass"), _validate_score
    )
    if data is None:
        return problem
    return Score(int(data["score"]), bool(data["pass"]), data["reasoning"].strip())


async def _prefer(
    generate: Generate,
    model: str,
    rubric: str,
    first: str,
    second: str,
    variables: dict[str, Any] | None,
    project: Project | None,
) -> tuple[str | None, str]:
    """Which of `first` (A) and `second` (B) the judge prefers: "A", "B", "tie"; or the problem."""
    user = (
        f"Rubric:\n{rubric}\n\n{_input_block(variables)}"
        f"Output A:\n<output_a>\n{first}\n</output_a>\n\nOutput B:\n<output_b>\n{second}\n</output_b>"
    )
    request = _request(model, _PAIRWISE_SYSTEM, user, judge_config(project), PAIRWISE_SCHEMA)
    data, problem = await _ask(generate, model, request, ("reasoning", "winner"), _validate_winner)
    if data is None:
        return None, problem
    winner = str(data["winner"]).strip().upper()
    return ("tie" if winner == "TIE" else winner), data["reasoning"].strip()


def combine_orders(first: str, second: str) -> str:
    """Candidate-perspective outcome from both orders; disagreement is a tie.

    `first` is the answer with the candidate as A, `second` with the candidate as B.

    >>> combine_orders("A", "B"), combine_orders("A", "A"), combine_orders("tie", "tie")
    ('candidate', 'tie', 'tie')
    """
    as_first = {"A": "candidate", "B": "baseline", "tie": "tie"}[first]
    as_second = {"A": "baseline", "B": "candidate", "tie": "tie"}[second]
    return as_first if as_first == as_second else "tie"


async def run_judge(spec: JudgeSpec, ctx: AssertionContext) -> Verdict:
    """Evaluate a judge assertion for one output."""
    try:
        model = spec.resolve(ctx.project, ctx.model)
    except PromptshipError as exc:
        return Verdict(False, 0.0, exc.format())
    if ctx.generate is None:
        return Verdict(False, 0.0, "no model access for the judge in this context")
    variables = ctx.case.vars if ctx.case else None
    if spec.pairwise:
        return await _pairwise(spec, ctx, ctx.generate, model, variables)
    result = await score_output(
        ctx.generate, model, spec.rubric, ctx.output, variables=variables, project=ctx.project
    )
    if isinstance(result, str):
        return Verdict(False, 0.0, f"{INVALID}: {result}")
    passed = result.score >= spec.threshold if spec.threshold else result.passed
    normalized = (result.score - SCORE_MIN) / (SCORE_MAX - SCORE_MIN)
    return Verdict(
        passed, normalized, f"judge {model} scored {result.score}/{SCORE_MAX}: {result.reasoning}"
    )


async def _pairwise(
    spec: JudgeSpec,
    ctx: AssertionContext,
    generate: Generate,
    model: str,
    variables: dict[str, Any] | None,
) -> Verdict:
    baseline = ctx.baseline_output
    if baseline is None:
        # Nothing to compare with: no baseline in this run, or this *is* the baseline's output.
        # Not worse than nothing, so it passes as neutral and the other assertions decide.
        return Verdict(True, 0.5, "no baseline output to compare with: pairwise judge skipped")
    if baseline.strip() == ctx.output.strip():
        return Verdict(True, 0.5, "tie: the output is identical to the baseline's")
    first, why_first = await _prefer(
        generate, model, spec.rubric, ctx.output, baseline, variables, ctx.project
    )
    if first is None:
        return Verdict(False, 0.0, f"{INVALID}: {why_first}")
    second, why_second = await _prefer(
        generate, model, spec.rubric, baseline, ctx.output, variables, ctx.project
    )
    if second is None:
        return Verdict(False, 0.0, f"{INVALID}: {why_second}")
    outcome = combine_orders(first, second)
    orders = f"candidate first: {first}, baseline first: {second}"
    if outcome == "candidate":
        return Verdict(
            True, 1.0, f"judge {model} prefers the candidate in both orders ({orders}): {why_first}"
        )
    if outcome == "baseline":
        return Verdict(
            False, 0.0, f"judge {model} prefers the baseline in both orders ({orders}): {why_first}"
        )
    detail = (
        "order-dependent verdict counted as a tie" if first != "tie" or second != "tie" else "tie"
    )
    return Verdict(True, 0.5, f"judge {model}: {detail} ({orders})")
