"""Judge calibration: how well judge scores agree with human labels.

A calibration file lists outputs a person has scored, as JSON Lines, a JSON list or YAML:

    {"output": "Your order ORD-1 ...", "rubric": "Names the order id", "human": 4, "judge": 5}

Items without a `judge` score are judged now (see `judge_missing`). The report gives exact
agreement, Cohen's kappa (unweighted, scores as categories), quadratic-weighted kappa (for
ordinal scales: near misses cost less) and Spearman's rho (with average ranks for ties).
Every formula is implemented here, without numpy or scipy, and tested against hand-computed
values.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptship.errors import PromptshipError, where

if TYPE_CHECKING:
    from promptship.assertions import Generate
    from promptship.project import Project

ITEM_KEYS = frozenset(("id", "output", "rubric", "human", "judge", "vars"))
EXAMPLE = '{"output": "...", "rubric": "...", "human": 4, "judge": 5}'


@dataclass(frozen=True)
class Item:
    id: str
    output: str
    human: float
    judge: float | None
    rubric: str | None
    vars: dict[str, Any] | None
    line: int | None


# --- reading ------------------------------------------------------------------------------


def load_items(path: Path, display: str | None = None) -> list[Item]:
    """Items from a `.jsonl`, `.json` or `.yaml`/`.yml` file; errors carry `file:line`."""
    from promptship import strict_yaml
    from promptship.prompt import decode

    shown = display or str(path)
    try:
        text = decode(path.read_bytes(), shown)
    except OSError as exc:
        raise PromptshipError(f"cannot read file: {exc.strerror}", where=shown) from None
    raw: list[tuple[Any, int | None]] = []
    if path.suffix == ".jsonl":
        for number, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            try:
                raw.append((json.loads(line), number))
            except ValueError as exc:
                raise PromptshipError(
                    f"invalid JSON: {exc}",
                    where=where(shown, number),
                    fix=f"one object a line: {EXAMPLE}",
                ) from None
    elif path.suffix == ".json":
        raw = _json_list(text, shown)
    elif path.suffix in (".yaml", ".yml"):
        lines: strict_yaml.Lines = {}
        data = strict_yaml.load(text, shown, lines=lines)
        if not isinstance(data, list):
            raise PromptshipError(
                "expected a list of items", where=where(shown, 1), fix=f"each item: {EXAMPLE}"
            )
        raw = [(item, lines.get((i,))) for i, item in enumerate(data)]
    else:
        raise PromptshipError(
            f"unsupported file type {path.suffix or '(none)'!r}",
            where=shown,
            fix="use .jsonl, .json or .yaml",
        )
    if not raw:
        raise PromptshipError("no items", where=shown, fix=f"add items like {EXAMPLE}")
    items = [_item(data, i, line, shown) for i, (data, line) in enumerate(raw)]
    seen: dict[str, int | None] = {}
    for item in items:
        if item.id in seen:
            raise PromptshipError(
                f"duplicate item id {item.id!r}",
                where=where(shown, item.line),
                fix="ids must be unique",
            )
        seen[item.id] = item.line
    return items


def _json_list(text: str, shown: str) -> list[tuple[Any, int | None]]:
    """Items of a JSON array with the line each starts on (json has no positions to give)."""
    decoder = json.JSONDecoder()
    ws = " \t\r\n"
    position = len(text) - len(text.lstrip(ws))
    items: list[tuple[Any, int | None]] = []
    try:
        if text[position : position + 1] != "[":
            raise ValueError("expected a list of items")
        position += 1
        while True:
            while position < len(text) and text[position] in ws + ",":
                position += 1
            if text[position : position + 1] == "]":
                break
            line = text.count("\n", 0, position) + 1
            item, position = decoder.raw_decode(text, position)
            items.append((item, line))
    except ValueError as exc:
        line = text.count("\n", 0, min(position, len(text))) + 1
        raise PromptshipError(
            f"invalid JSON: {exc}", where=where(shown, line), fix=f"a list of items: [{EXAMPLE}]"
        ) from None
    return items


def _item(data: Any, index: int, line: int | None, shown: str) -> Item:
    at = where(shown, line)
    if not isinstance(data, dict):
        raise PromptshipError("an item must be an object", where=at, fix=f"e.g. {EXAMPLE}")
    unknown = sorted(set(data) - ITEM_KEYS)
    if unknown:
        raise PromptshipError(
            f"unknown key {unknown[0]!r}", where=at, fix=f"keys: {', '.join(sorted(ITEM_KEYS))}"
        )
    output = data.get("output")
    if not isinstance(output, str):
        raise PromptshipError("item needs 'output' text", where=at, fix=f"e.g. {EXAMPLE}")
    scores: dict[str, float | None] = {}
    for key in ("human", "judge"):
        value = data.get(key)
        if value is None and key == "judge":
            scores[key] = None
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise PromptshipError(
                f"{key!r} must be a number, got {value!r}",
                where=at,
                fix="scores are numbers, e.g. 1-5 as the judge gives them",
            )
        scores[key] = float(value)
    rubric = data.get("rubric")
    if rubric is not None and not isinstance(rubric, str):
        raise PromptshipError("'rubric' must be text", where=at)
    variables = data.get("vars")
    if variables is not None and not isinstance(variables, dict):
        raise PromptshipError("'vars' must be an object", where=at)
    item_id = data.get("id", str(index + 1))
    human = scores["human"]
    assert human is not None
    return Item(str(item_id), output, human, scores["judge"], rubric, variables, line)


# --- judging what is missing --------------------------------------------------------------


@dataclass(frozen=True)
class Judged:
    items: list[Item]  # with judge scores filled in where the judge answered validly
    judged: int  # how many the judge scored now
    invalid: dict[str, str]  # item id -> why the judge's output was invalid


async def judge_missing(
    items: Sequence[Item],
    generate: Generate,
    model: str,
    *,
    rubric: str | None,
    project: Project | None,
    jobs: int = 4,
) -> Judged:
    """Score every item that has no judge score, `jobs` at a time."""
    import asyncio

    from promptship import judge

    missing = [item for item in items if item.judge is None]
    for item in missing:
        if not (item.rubric or rubric):
            raise PromptshipError(
                f"item {item.id} has no judge score and no rubric",
                where=f"line {item.line}" if item.line else None,
                fix="add 'rubric' to the item, or pass --rubric TEXT",
            )
    semaphore = asyncio.Semaphore(max(1, jobs))

    async def one(item: Item) -> tuple[Item, judge.Score | str]:
        async with semaphore:
            result = await judge.score_output(
                generate,
                model,
                item.rubric or rubric or "",
                item.output,
                variables=item.vars,
                project=project,
            )
            return item, result

    results = dict(
        (item.id, result) for item, result in await asyncio.gather(*(one(i) for i in missing))
    )
    scored: list[Item] = []
    invalid: dict[str, str] = {}
    for item in items:
        result = results.get(item.id)
        if isinstance(result, str):
            invalid[item.id] = result
            continue
        scored.append(item if result is None else replace(item, judge=float(result.score)))
    return Judged(scored, len(missing) - len(invalid), invalid)


# --- statistics ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    n: int
    exact_agreement: float
    cohen_kappa: float | None  # None when undefined (both raters used one and the same label)
    weighted_kappa: float | None  # quadratic weights over the numeric scores
    spearman_rho: float | None  # None when a rater gave every item the same score
    mean_human: float
    mean_judge: float

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "exact_agreement": self.exact_agreement,
            "cohen_kappa": self.cohen_kappa,
            "weighted_kappa": self.weighted_kappa,
            "spearman_rho": self.spearman_rho,
            "mean_human": self.mean_human,
            "mean_judge": self.mean_judge,
        }


def agreement(human: Sequence[float], judged: Sequence[float]) -> Agreement:
    if len(human) != len(judged) or not human:
        raise ValueError("need the same, non-zero number of human and judge scores")
    n = len(human)
    return Agreement(
        n=n,
        exact_agreement=sum(h == j for h, j in zip(human, judged, strict=True)) / n,
        cohen_kappa=cohen_kappa(human, judged),
        weighted_kappa=weighted_kappa(human, judged),
        spearman_rho=spearman_rho(human, judged),
        mean_human=sum(human) / n,
        mean_judge=sum(judged) / n,
    )


def cohen_kappa(a: Sequence[float], b: Sequence[float]) -> float | None:
    """(p_o - p_e) / (1 - p_e): agreement beyond what the raters' label rates give by chance.

    >>> cohen_kappa([1, 1, 2, 2], [1, 2, 2, 2])
    0.5
    """
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    count_a, count_b = Counter(a), Counter(b)
    expected = sum(count_a[k] * count_b[k] for k in count_a) / (n * n)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def weighted_kappa(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Quadratic-weighted kappa: 1 - sum(w*O) / sum(w*E), with w = (i - j)^2 on the scores.

    >>> weighted_kappa([1, 2, 3], [1, 2, 3])
    1.0
    """
    n = len(a)
    observed = sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) / n
    expected = sum((x - y) ** 2 for x in a for y in b) / (n * n)
    if expected == 0:
        return None
    return 1 - observed / expected


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks; tied values share the average of their ranks.

    >>> ranks([10, 20, 20, 5])
    [2.0, 3.5, 3.5, 1.0]
    """
    order = sorted(range(len(values)), key=lambda i: values[i])
    result = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        average = (start + end) / 2 + 1
        for k in range(start, end + 1):
            result[order[k]] = average
        start = end + 1
    return result


def spearman_rho(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Pearson correlation of the ranks (exact with ties, unlike 1 - 6 sum d^2 / ...).

    >>> spearman_rho([1, 2, 3], [3, 2, 1])
    -1.0
    """
    ra, rb = ranks(a), ranks(b)
    n = len(ra)
    mean_a, mean_b = sum(ra) / n, sum(rb) / n
    cov = sum((x - mean_a) * (y - mean_b) for x, y in zip(ra, rb, strict=True))
    var_a = sum((x - mean_a) ** 2 for x in ra)
    var_b = sum((y - mean_b) ** 2 for y in rb)
    if var_a == 0 or var_b == 0:
        return None
    return cov / math.sqrt(var_a * var_b)


def confusion(human: Sequence[float], judged: Sequence[float]) -> dict[tuple[float, float], int]:
    """Counts of (human, judge) score pairs, for the report."""
    return dict(Counter(zip(human, judged, strict=True)))
