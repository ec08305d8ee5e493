from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from promptship import judge
from promptship.assertions import (
    AssertionContext,
    AssertionSpec,
    Verdict,
    evaluate,
    parse_assertion,
)
from promptship.errors import PromptshipError
from promptship.goldenset import Case
from promptship.project import Project
from promptship.providers.base import ProviderError, Request, Response

CASE = Case("refund-1", {"order_id": "ORD-1"}, (), ("refunds",), 4)


class Scripted:
    """An in-process `generate`: answers from a script (or a function of the request)."""

    def __init__(self, *answers: str | Callable[[Request], str]) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, Request]] = []

    async def __call__(self, model: str, request: Request) -> Response:
        self.calls.append((model, request))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        text = answer(request) if callable(answer) else answer
        return Response(text=text, served_model=model.split("/", 1)[1])


def spec(**options: Any) -> AssertionSpec:
    return parse_assertion({"type": "judge", **options}, "evals/x.yaml", {}, ("a",))


def run(
    assertion: AssertionSpec,
    generate: Scripted,
    output: str = "Your order ORD-1 is under review.",
    **context: Any,
) -> Verdict:
    context.setdefault("model", "openai/gpt-4o-mini")
    ctx = AssertionContext(output=output, case=CASE, generate=generate, **context)
    return asyncio.run(evaluate(assertion, ctx))


def scored(score: int, passed: bool, reasoning: str = "Names the order and is kind.") -> str:
    return json.dumps({"reasoning": reasoning, "score": score, "pass": passed})


JUDGE = "anthropic/claude-sonnet-4-5"


def test_scored_verdict_uses_the_judges_pass_and_normalises_the_score() -> None:
    generate = Scripted(scored(4, True))
    verdict = run(spec(rubric="Names the order id", model=JUDGE), generate)
    assert verdict == Verdict(True, 0.75, f"judge {JUDGE} scored 4/5: Names the order and is kind.")
    model, request = generate.calls[0]
    assert model == JUDGE and request.model == "claude-sonnet-4-5"
    assert request.output == {"format": "json", "schema": judge.SCORED_SCHEMA}
    assert "temperature" not in request.params  # the anthropic SDK path takes none
    system, user = request.messages
    assert "reasoning" in system["content"] and "Names the order id" in user["content"]
    assert "Your order ORD-1 is under review." in user["content"]
    assert '"order_id": "ORD-1"' in user["content"]  # the case's input, for context


def test_threshold_overrides_the_judges_pass() -> None:
    assert (
        run(spec(rubric="r", model=JUDGE, threshold=4), Scripted(scored(3, True))).passed is False
    )
    assert run(spec(rubric="r", model=JUDGE, threshold=3), Scripted(scored(3, False))).passed
    assert run(spec(rubric="r", model=JUDGE), Scripted(scored(3, False))).passed is False


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("Looks good to me! 5/5", "no JSON object in the reply"),
        ('{"reasoning": "ok", "score": 4, "pass": tru}', "not valid JSON"),
        ('{"reasoning": "ok", "score": 4}', "missing key(s) pass"),
        ('{"score": 4, "reasoning": "ok", "pass": true}', "reasoning before the verdict"),
        ('{"reasoning": "ok", "score": 9, "pass": true}', "'score' must be an integer from 1 to 5"),
        ('{"reasoning": "ok", "score": "4", "pass": true}', "'score' must be an integer"),
        ('{"reasoning": "ok", "score": 4, "pass": "yes"}', "'pass' must be true or false"),
        ('{"reasoning": "", "score": 4, "pass": true}', "'reasoning' must be non-empty text"),
        ("[1, 2]", "no JSON object"),
        ('{"reasoning": "<your reasoning>", "score": 4, "pass": true}', "is a placeholder"),
        ('{"reasoning": "ok", "score": 1, "pass": true}', "'pass' (true) contradicts the score 1"),
        (
            '{"reasoning": "ok", "score": 5, "pass": false}',
            "'pass' (false) contradicts the score 5",
        ),
    ],
)
def test_invalid_output_is_repaired_once_then_fails(reply: str, problem: str) -> None:
    generate = Scripted(reply)
    verdict = run(spec(rubric="r", model=JUDGE), generate)
    assert verdict.passed is False and verdict.score == 0.0
    assert verdict.reason.startswith("judge returned invalid output: ")
    assert problem in verdict.reason
    assert len(generate.calls) == 2  # the first answer, then exactly one repair
    repair = generate.calls[1][1].messages
    assert repair[-2] == {"role": "assistant", "content": reply}
    assert repair[-1]["role"] == "user" and "invalid" in repair[-1]["content"]


def test_repair_that_works_gives_a_verdict() -> None:
    generate = Scripted("Score: 5", "```json\n" + scored(5, True) + "\n```")
    verdict = run(spec(rubric="r", model=JUDGE), generate)
    assert verdict.passed and verdict.score == 1.0
    assert len(generate.calls) == 2


def test_float_scores_that_are_whole_numbers_are_accepted() -> None:
    reply = '{"reasoning": "fine", "score": 2.0, "pass": false}'
    assert run(spec(rubric="r", model=JUDGE), Scripted(reply)) == Verdict(
        False, 0.25, f"judge {JUDGE} scored 2/5: fine"
    )


def test_provider_errors_propagate_for_the_engine_to_record() -> None:
    async def failing(model: str, request: Request) -> Response:
        raise ProviderError("openai: 503", retryable=True)

    ctx = AssertionContext(output="x", generate=failing, model="local/gemma3-270m")
    with pytest.raises(ProviderError):
        asyncio.run(evaluate(spec(rubric="r", model="openai/gpt-4o"), ctx))


# --- pairwise -----------------------------------------------------------------------------


def winner(first: str, second: str) -> Callable[[Request], str]:
    """Answers `first` when the candidate is output A, `second` when it is output B."""

    def answer(request: Request) -> str:
        user = request.messages[-1]["content"]
        candidate_first = user.index("CANDIDATE") < user.index("BASELINE")
        pick = first if candidate_first else second
        return json.dumps({"reasoning": "compared both", "winner": pick})

    return answer


PAIRWISE = [
    # (answer with candidate as A, answer with candidate as B, passed, score, outcome word)
    ("A", "B", True, 1.0, "prefers the candidate in both orders"),
    ("B", "A", False, 0.0, "prefers the baseline in both orders"),
    ("A", "A", True, 0.5, "order-dependent verdict counted as a tie"),  # always picks A
    ("B", "B", True, 0.5, "order-dependent verdict counted as a tie"),  # always picks B
    ("tie", "tie", True, 0.5, "tie"),
    ("A", "tie", True, 0.5, "order-dependent verdict counted as a tie"),
]


@pytest.mark.parametrize(("first", "second", "passed", "score", "words"), PAIRWISE)
def test_pairwise_runs_both_orders_and_ties_on_disagreement(
    first: str, second: str, passed: bool, score: float, words: str
) -> None:
    generate = Scripted(winner(first, second))
    verdict = run(
        spec(rubric="More helpful", model=JUDGE, pairwise=True),
        generate,
        output="CANDIDATE reply",
        baseline_output="BASELINE reply",
    )
    assert (verdict.passed, verdict.score) == (passed, score)
    assert words in verdict.reason
    assert len(generate.calls) == 2
    orders = [call[1].messages[-1]["content"] for call in generate.calls]
    assert orders[0].index("CANDIDATE") < orders[0].index("BASELINE")
    assert orders[1].index("BASELINE") < orders[1].index("CANDIDATE")
    assert generate.calls[0][1].output["schema"] == judge.PAIRWISE_SCHEMA


def test_combine_orders_table() -> None:
    table = {
        (a, b): judge.combine_orders(a, b) for a in ("A", "B", "tie") for b in ("A", "B", "tie")
    }
    assert table == {
        ("A", "A"): "tie",
        ("A", "B"): "candidate",
        ("A", "tie"): "tie",
        ("B", "A"): "baseline",
        ("B", "B"): "tie",
        ("B", "tie"): "tie",
        ("tie", "A"): "tie",
        ("tie", "B"): "tie",
        ("tie", "tie"): "tie",
    }


def test_pairwise_without_a_baseline_or_with_identical_outputs_asks_nothing() -> None:
    generate = Scripted(winner("A", "B"))
    assertion = spec(rubric="r", model=JUDGE, pairwise=True)
    missing = run(assertion, generate, output="x")
    assert missing == Verdict(
        True, 0.5, "no baseline output to compare with: pairwise judge skipped"
    )
    same = run(assertion, generate, output="same ", baseline_output="same")
    assert same == Verdict(True, 0.5, "tie: the output is identical to the baseline's")
    assert generate.calls == []


def test_pairwise_invalid_output_fails() -> None:
    generate = Scripted('{"reasoning": "hm", "winner": "C"}')
    verdict = run(
        spec(rubric="r", model=JUDGE, pairwise=True), generate, output="a", baseline_output="b"
    )
    assert verdict.passed is False
    assert verdict.reason.startswith("judge returned invalid output: 'winner' must be")
    assert len(generate.calls) == 2  # first order, its repair; the second order never runs


# --- model choice and family --------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("openai/gpt-4o-mini", "openai"),
        ("openai/o3-mini", "openai"),
        ("azure/gpt-4o", "openai"),
        ("anthropic/claude-sonnet-4-5", "anthropic"),
        ("local/gemma3-270m", "google"),
        ("vllm/meta-llama/Llama-3.1-8B-Instruct", "meta"),
        ("ollama/qwen2.5:7b", "alibaba"),
        ("mycorp/house-model", "mycorp"),
    ],
)
def test_family(model: str, family: str) -> None:
    assert judge.family(model) == family


def test_same_family_judge_is_refused_unless_allowed() -> None:
    generate = Scripted(scored(5, True))
    refused = run(spec(rubric="r", model="openai/gpt-4o"), generate, model="openai/gpt-4o-mini")
    assert refused.passed is False
    assert "same model family (openai)" in refused.reason and "allow_same_family" in refused.reason
    assert generate.calls == []
    allowed = spec(rubric="r", model="openai/gpt-4o", allow_same_family=True)
    assert run(allowed, generate, model="openai/gpt-4o-mini").passed


def write_config(root: Path, text: str) -> Project:
    (root / "promptship.toml").write_text(text)
    (root / "prompts").mkdir(exist_ok=True)
    return Project(root)


def test_judge_model_and_params_come_from_config(tmp_path: Path) -> None:
    project = write_config(
        tmp_path,
        '[judge]\nmodel = "anthropic/claude-haiku-4-5"\nparams = {max_tokens = 200}\n',
    )
    generate = Scripted(scored(5, True))
    assert run(spec(rubric="r"), generate, project=project).passed
    model, request = generate.calls[0]
    assert model == "anthropic/claude-haiku-4-5" and request.params == {"max_tokens": 200}


def test_missing_judge_model_is_a_clear_failure(tmp_path: Path) -> None:
    verdict = run(spec(rubric="r"), Scripted(scored(5, True)), project=write_config(tmp_path, ""))
    assert verdict.passed is False
    assert "a judge assertion needs a judge model" in verdict.reason
    assert "[tool.promptship.judge] model" in verdict.reason


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('[judge]\nmodle = "x/y"\n', "unknown key 'modle' in [tool.promptship.judge]"),
        ('[judge]\nmodel = "gpt-4o"\n', "judge model must look like 'provider/name'"),
        ("[judge]\nallow_same_family = 1\n", "allow_same_family must be true/false"),
    ],
)
def test_bad_judge_config(tmp_path: Path, config: str, message: str) -> None:
    with pytest.raises(PromptshipError) as caught:
        judge.judge_config(write_config(tmp_path, config))
    assert message in caught.value.format()
    assert "promptship.toml" in caught.value.format()


def test_check_judges_before_a_run(examples: Path) -> None:
    from promptship.goldenset import load_golden_set

    path = examples / "evals" / "refund_handler.yaml"
    line = "      - {type: judge, rubric: Kind, model: openai/gpt-4o}"
    text = path.read_text().replace("      - {type: icontains, value: 3 business days}", line)
    path.write_text(text)
    project = Project.find()
    golden = load_golden_set(project, "refund_handler")
    judge.check_judges(golden, "anthropic/claude-sonnet-4-5", project)  # cross-family: fine
    with pytest.raises(PromptshipError) as caught:
        judge.check_judges(golden, "openai/gpt-4o-mini", project)  # --model override
    assert caught.value.format().startswith(
        f"evals/refund_handler.yaml:{text.splitlines().index(line) + 1}: judge openai/gpt-4o"
    )


# --- a real judge call --------------------------------------------------------------------


def test_real_judge_call_on_the_local_model(llama_server: Any, tmp_path: Path) -> None:
    """The tiny local model judges for real: a valid verdict or the documented failure."""
    from promptship.providers.registry import get_provider
    from promptship.providers.retry import RetryPolicy, generate_with_retries

    project = write_config(
        tmp_path,
        '[judge]\nmodel = "local/gemma3-270m"\nallow_same_family = true\n'
        "params = {temperature = 0, max_tokens = 96}\n",
    )
    llama_server.register(tmp_path)
    provider = get_provider("local", project)
    calls: list[Response] = []

    async def generate(model: str, request: Request) -> Response:
        assert model == "local/gemma3-270m"
        response = await generate_with_retries(provider, request, RetryPolicy(timeout_s=120))
        calls.append(response)
        return response

    async def both() -> tuple[Verdict, Verdict]:
        ctx = AssertionContext(
            output="billing",
            case=Case("refund", {"ticket_text": "I need a refund"}, (), ("billing",), 1),
            generate=generate,
            model="local/gemma3-270m",
            project=project,
            baseline_output="technical",
        )
        try:
            one = await evaluate(spec(rubric="The answer is the word billing."), ctx)
            two = await evaluate(spec(rubric="Names the right team.", pairwise=True), ctx)
        finally:
            await provider.aclose()
        return one, two

    for verdict in asyncio.run(both()):
        print(verdict)  # visible with -s: what the tiny model made of it
        assert 0.0 <= verdict.score <= 1.0
        if verdict.reason.startswith(judge.INVALID):
            assert verdict.passed is False
        else:
            assert verdict.reason.startswith("judge local/gemma3-270m")
    assert 3 <= len(calls) <= 6
    assert all(c.served_model for c in calls)
