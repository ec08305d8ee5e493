"""The run engine: a golden set against a candidate (and a baseline) on a real provider.

`execute(plan, journal)` renders each case's messages, asks the provider through the
response cache and the retry policy, scores the output with the case's assertions, and
journals every finished call at once. Calls are bounded by an asyncio semaphore (`-j`).
A call that still fails after retries is an `error` outcome; an auth or validation error
(nothing a retry can fix) stops the whole run with the fix. Nothing here prints: progress
goes to a callback, results are returned.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from promptship import assertions
from promptship.errors import PromptshipError, UsageError
from promptship.providers.base import ProviderError, Request, Response

if TYPE_CHECKING:
    from promptship.cache import ResponseCache
    from promptship.goldenset import Case, GoldenSet
    from promptship.journal import Journal
    from promptship.project import Project
    from promptship.prompt import PromptVersion
    from promptship.results import RunResult

CANDIDATE = "candidate"
BASELINE = "baseline"
PASS, FAIL, ERROR = "pass", "fail", "error"


@dataclass(frozen=True)
class Side:
    """One prompt version as a run sends it: the version and the `provider/model` it runs on."""

    version: PromptVersion
    model: str
    environment: str | None = None  # the environment whose pin this is (baseline only)

    @property
    def provider_name(self) -> str:
        return self.model.split("/", 1)[0]

    @property
    def model_name(self) -> str:
        return self.model.split("/", 1)[1]


@dataclass(frozen=True)
class Outcome:
    """One call's result and verdict: what a journal line and an evidence case hold."""

    status: str  # pass | fail | error
    output: str | None
    served_model: str | None
    assertions: list[dict[str, Any]]
    latency_ms: float | None
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: float | None
    error: str | None
    cached: bool = False

    def to_json(self) -> dict[str, Any]:
        """The evidence-record shape (without case id, tags and repeat index)."""
        return {
            "status": self.status,
            "output": self.output,
            "served_model": self.served_model,
            "assertions": self.assertions,
            "latency_ms": self.latency_ms,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        return cls(
            status=data["status"],
            output=data["output"],
            served_model=data["served_model"],
            assertions=list(data["assertions"]),
            latency_ms=data["latency_ms"],
            input_tokens=data["input_tokens"],
            output_tokens=data["output_tokens"],
            cost_usd=data["cost_usd"],
            error=data["error"],
            cached=bool(data.get("cached", False)),
        )

    @classmethod
    def failed(cls, error: str) -> Outcome:
        return cls(ERROR, None, None, [], None, None, None, None, error)


@dataclass(frozen=True)
class CaseResult:
    case_id: str
    tags: tuple[str, ...]
    repeat_index: int
    candidate: Outcome
    baseline: Outcome | None


@dataclass
class RunPlan:
    """Everything that decides what a run does; `journal.run.json` records it."""

    project: Project
    golden: GoldenSet
    candidate: Side
    baseline: Side | None
    cases: list[Case]
    repeat: int = 1
    concurrency: int = 4
    use_cache: bool = True
    complete: bool = True  # False when narrowed by a filter, a shard or --failed
    model_override: str | None = None
    filters: dict[str, Any] = field(default_factory=dict)

    @property
    def sides(self) -> tuple[str, ...]:
        return (CANDIDATE, BASELINE) if self.baseline else (CANDIDATE,)

    @property
    def total_calls(self) -> int:
        return len(self.cases) * self.repeat * len(self.sides)


Progress = Callable[[int, int], None]  # (finished calls, total calls)


class RunAborted(PromptshipError):
    """A call failed in a way no retry can fix; the run stopped. Finished calls are journaled."""


def select_cases(
    golden: GoldenSet,
    *,
    ids: list[str] | None = None,
    tags: list[str] | None = None,
    only: set[str] | None = None,
    shard: tuple[int, int] | None = None,
) -> list[Case]:
    """The cases a run covers, in golden-set order; an empty selection is an error."""
    cases = list(golden.cases)
    if ids:
        for case_id in ids:
            golden.case(case_id)  # an unknown id is an error naming the known ones
        cases = [c for c in cases if c.id in ids]
    if tags:
        unknown = sorted(set(tags) - set(golden.tags))
        if unknown:
            raise UsageError(
                f"no case in {golden.path} has tag {unknown[0]!r}",
                fix=f"tags: {', '.join(golden.tags) or 'none'}",
            )
        cases = [c for c in cases if set(c.tags) & set(tags)]
    if only is not None:
        cases = [c for c in cases if c.id in only]
    if shard is not None:
        index, count = shard
        cases = [c for c in cases if shard_of(c.id, count) == index]
    if not cases:
        raise UsageError(
            f"no case of {golden.path} matches the filters",
            fix="widen --filter-id/--filter-tag/--shard, or drop --failed",
        )
    return cases


def shard_of(case_id: str, count: int) -> int:
    """The 1-based shard a case belongs to; stable across runs, machines and case order."""
    digest = hashlib.sha256(case_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def parse_shard(text: str) -> tuple[int, int]:
    """`"2/4"` -> (2, 4)."""
    index, sep, count = text.partition("/")
    if sep and index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count):
        return int(index), int(count)
    raise UsageError(f"invalid --shard {text!r}", fix="write I/N with 1 <= I <= N, e.g. 1/4")


class Engine:
    """Runs one plan: providers, cache and concurrency for the calls of one run."""

    def __init__(
        self,
        plan: RunPlan,
        journal: Journal,
        cache: ResponseCache | None,
        progress: Progress | None = None,
    ) -> None:
        from promptship.gateway import Gateway

        self.plan = plan
        self.journal = journal
        self.progress = progress
        self.gateway = Gateway(
            plan.project, cache, use_cache=plan.use_cache, concurrency=plan.concurrency
        )
        self.endpoint: str | None = None  # the candidate provider's, for the evidence
        self._done = 0

    async def run(self) -> list[CaseResult]:
        """Every missing (case, repeat, side) call, then the whole result from the journal."""
        finished = {e.slot: e.outcome for e in self.journal.entries()}
        work = [
            (case, r)
            for case in self.plan.cases
            for r in range(self.plan.repeat)
            if any((case.id, r, side) not in finished for side in self.plan.sides)
        ]
        self._done = sum(
            1
            for case in self.plan.cases
            for r in range(self.plan.repeat)
            for side in self.plan.sides
            if (case.id, r, side) in finished
        )
        self._report()
        queue: asyncio.Queue[tuple[Case, int]] = asyncio.Queue()
        for item in work:
            queue.put_nowait(item)

        async def worker() -> None:
            while not queue.empty():
                case, r = queue.get_nowait()
                await self._run_case(case, r, finished)

        workers = [
            asyncio.create_task(worker()) for _ in range(min(self.plan.concurrency, len(work)))
        ]
        try:
            if workers:
                done, _ = await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
                for task in done:
                    error = task.exception()
                    if error is not None:
                        raise error
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            self.endpoint = self.gateway.endpoint(self.plan.candidate.provider_name)
            await self.gateway.aclose()
        return collect(self.plan, {e.slot: e.outcome for e in self.journal.entries()})

    async def _run_case(
        self, case: Case, repeat_index: int, finished: dict[tuple[str, int, str], dict[str, Any]]
    ) -> None:
        from promptship.journal import Entry

        sides = {CANDIDATE: self.plan.candidate}
        if self.plan.baseline is not None:
            sides[BASELINE] = self.plan.baseline
        todo = [s for s in sides if (case.id, repeat_index, s) not in finished]
        # Both sides' calls first: the candidate's pairwise judge needs the baseline output.
        calls = await asyncio.gather(
            *(self._respond(sides[s], case, repeat_index, s == BASELINE) for s in todo)
        )
        responses = dict(zip(todo, calls, strict=True))
        baseline_output: str | None = None
        if BASELINE in responses:
            answer = responses[BASELINE][0]
            baseline_output = answer.text if answer is not None else None
        elif (case.id, repeat_index, BASELINE) in finished:
            baseline_output = finished[(case.id, repeat_index, BASELINE)]["output"]
        for side in todo:
            response, cached, error = responses[side]
            if response is None:
                outcome = Outcome.failed(error or "no response")
            else:
                outcome = await self._score(
                    sides[side],
                    case,
                    response,
                    cached,
                    baseline_output if side == CANDIDATE else None,
                )
            entry = Entry(case.id, repeat_index, side, {**outcome.to_json(), "cached": cached})
            self.journal.append(entry)
            self._done += 1
            self._report()

    async def _respond(
        self, side: Side, case: Case, repeat_index: int, lenient: bool
    ) -> tuple[Response | None, bool, str | None]:
        """(response, from cache, error): render and call; a non-retryable error aborts.

        The golden set is written for the newest version; an older baseline gets only the
        variables it declares (`lenient`), while the candidate must accept every one.
        """
        values = case.vars
        if lenient:
            values = {k: v for k, v in case.vars.items() if k in side.version.variables}
        try:
            messages = side.version.render(values)
        except PromptshipError as exc:
            return None, False, f"{case.id}: {exc.format()}"
        request = Request(
            model=side.model_name,
            messages=tuple(messages),
            params=dict(side.version.params),
            output=dict(side.version.output),
        )
        try:
            response, cached = await self.gateway.call(side.provider_name, request, repeat_index)
        except ProviderError as exc:
            if not exc.retryable:
                raise self._abort(exc) from None
            return None, False, exc.format()
        return response, cached, None

    async def _score(
        self,
        side: Side,
        case: Case,
        response: Response,
        cached: bool,
        baseline_output: str | None,
    ) -> Outcome:
        from promptship import pricing

        cost = None
        if response.input_tokens is not None and response.output_tokens is not None:
            cost = pricing.cost_usd(side.model, response.input_tokens, response.output_tokens)
        ctx = assertions.AssertionContext(
            output=response.text,
            case=case,
            latency_ms=response.latency_ms,
            input_tokens=response.input_tokens,
            output_tokens=response.output_tokens,
            cost_usd=cost,
            baseline_output=baseline_output,
            generate=self.gateway.generate,
            model=side.model,
            project=self.plan.project,
        )
        verdicts: list[dict[str, Any]] = []

        def outcome(status: str, error: str | None = None) -> Outcome:
            return Outcome(
                status,
                response.text,
                response.served_model,
                verdicts,
                response.latency_ms,
                response.input_tokens,
                response.output_tokens,
                cost,
                error,
                cached,
            )

        for spec in case.asserts:
            try:
                verdict = await assertions.evaluate(spec, ctx)
            except ProviderError as exc:
                if not exc.retryable:
                    raise self._abort(exc) from None
                return outcome(ERROR, f"judge call failed: {exc.format()}")
            verdicts.append(
                {
                    "type": spec.type,
                    "passed": verdict.passed,
                    "score": verdict.score,
                    "reason": verdict.reason,
                }
            )
        return outcome(PASS if all(v["passed"] for v in verdicts) else FAIL)

    def _abort(self, exc: ProviderError) -> RunAborted:
        if not self._done:  # nothing finished (a missing key, say): rerunning is the fix
            return RunAborted(f"run stopped: {exc.message}", fix=exc.fix)
        resume = f"then finish with `promptship eval --resume {self.journal.run_id}`"
        return RunAborted(
            f"run stopped: {exc.message}", fix=f"{exc.fix}; {resume}" if exc.fix else resume
        )

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self._done, self.plan.total_calls)


def collect(
    plan: RunPlan, outcomes: dict[tuple[str, int, str], dict[str, Any]]
) -> list[CaseResult]:
    """Results in golden-set order from journaled outcomes (one per case, repeat and side)."""
    results = []
    for case in plan.cases:
        for r in range(plan.repeat):
            baseline = outcomes.get((case.id, r, BASELINE)) if plan.baseline else None
            results.append(
                CaseResult(
                    case.id,
                    case.tags,
                    r,
                    Outcome.from_json(outcomes[(case.id, r, CANDIDATE)]),
                    Outcome.from_json(baseline) if baseline is not None else None,
                )
            )
    return results


def execute(plan: RunPlan, journal: Journal, progress: Progress | None = None) -> RunResult:
    """Run what the journal lacks, then summarise the whole run. Ctrl-C cancels the calls
    in flight and raises KeyboardInterrupt; every finished call is already journaled."""
    from promptship.cache import ResponseCache
    from promptship.results import result_of

    with ResponseCache.for_project(plan.project.root) as cache:
        engine = Engine(plan, journal, cache, progress)
        results = asyncio.run(engine.run())
    return result_of(plan, journal, results, engine.endpoint)
