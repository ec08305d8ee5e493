from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import CLI
from promptship.calibration import (
    agreement,
    cohen_kappa,
    load_items,
    ranks,
    spearman_rho,
    weighted_kappa,
)
from promptship.errors import PromptshipError

# Cohen's classic 2x2 example (as in most textbooks): of 50 items, both raters say yes to 20,
# A yes / B no 5, A no / B yes 10, both no 15. p_o = 35/50 = 0.7; A says yes 25/50, B 30/50;
# p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5; kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
RATER_A = [1] * 20 + [1] * 5 + [0] * 10 + [0] * 15
RATER_B = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15


def test_cohen_kappa_textbook_example() -> None:
    assert cohen_kappa(RATER_A, RATER_B) == pytest.approx(0.4)


def test_cohen_kappa_three_categories_by_hand() -> None:
    # human 1 1 2 3 3 3 / judge 1 2 2 3 3 1: p_o = 4/6.
    # human counts {1: 2, 2: 1, 3: 3}, judge {1: 2, 2: 2, 3: 2}:
    # p_e = (2*2 + 1*2 + 3*2) / 36 = 12/36; kappa = (4/6 - 1/3) / (2/3) = 0.5.
    assert cohen_kappa([1, 1, 2, 3, 3, 3], [1, 2, 2, 3, 3, 1]) == pytest.approx(0.5)


def test_cohen_kappa_edges() -> None:
    assert cohen_kappa([1, 2, 3], [1, 2, 3]) == 1.0
    assert cohen_kappa([1, 2], [2, 1]) == pytest.approx(-1.0)
    assert cohen_kappa([4, 4, 4], [4, 4, 4]) is None  # p_e = 1: undefined
    assert cohen_kappa([4, 4], [4, 5]) == pytest.approx(0.0)  # p_o = p_e = 0.5


def test_weighted_kappa_by_hand() -> None:
    # human 1 2 3 / judge 1 3 3: observed mean squared distance = (0 + 1 + 0) / 3 = 1/3.
    # chance: every (human, judge) pair: 1 vs {1,3,3} = 0+4+4, 2 vs = 1+1+1, 3 vs = 4+0+0,
    # total 15 over 9 pairs = 5/3; weighted kappa = 1 - (1/3) / (5/3) = 0.8.
    assert weighted_kappa([1, 2, 3], [1, 3, 3]) == pytest.approx(0.8)
    assert weighted_kappa([3, 3], [3, 3]) is None
    # A near miss costs less than a far one; unweighted kappa cannot tell them apart.
    near, far = [1, 2, 3, 4, 5], [2, 2, 3, 4, 5]
    assert weighted_kappa(near, far) > weighted_kappa(near, [5, 2, 3, 4, 5])  # type: ignore[operator]
    assert cohen_kappa(near, far) == cohen_kappa(near, [5, 2, 3, 4, 5])


def test_ranks_average_ties() -> None:
    assert ranks([3, 1, 2]) == [3.0, 1.0, 2.0]
    assert ranks([5, 5, 5]) == [2.0, 2.0, 2.0]
    assert ranks([1, 2, 2, 2, 9]) == [1.0, 3.0, 3.0, 3.0, 5.0]


def test_spearman_textbook_example() -> None:
    # IQ vs hours of TV per week, the standard worked example: sum d^2 = 194,
    # rho = 1 - 6 * 194 / (10 * 99) = -29/165.
    iq = [106, 100, 86, 101, 99, 103, 97, 113, 112, 110]
    tv = [7, 27, 2, 50, 28, 29, 20, 12, 6, 17]
    assert spearman_rho(iq, tv) == pytest.approx(-29 / 165)


def test_spearman_with_ties_by_hand() -> None:
    # human 1 1 2 2 -> ranks 1.5 1.5 3.5 3.5; judge 1 2 2 2 -> ranks 1 3 3 3.
    # deviations (-1 -1 1 1) and (-1.5 .5 .5 .5): cov 2, variances 4 and 3: rho = 2/sqrt(12).
    assert spearman_rho([1, 1, 2, 2], [1, 2, 2, 2]) == pytest.approx(2 / 12**0.5)
    assert spearman_rho([1, 2, 3], [10, 20, 30]) == pytest.approx(1.0)
    assert spearman_rho([1, 2, 3], [2, 2, 2]) is None


def test_agreement_summary() -> None:
    result = agreement([1, 1, 2, 2], [1, 2, 2, 2])
    assert result.n == 4 and result.exact_agreement == 0.75
    assert result.cohen_kappa == pytest.approx(0.5)
    assert (result.mean_human, result.mean_judge) == (1.5, 1.75)
    with pytest.raises(ValueError):
        agreement([], [])


# --- files and the CLI --------------------------------------------------------------------


def write(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items))
    return path


ITEMS = [
    {"id": "a", "output": "x", "human": 1, "judge": 1},
    {"id": "b", "output": "x", "human": 1, "judge": 2},
    {"id": "c", "output": "x", "human": 2, "judge": 2},
    {"id": "d", "output": "x", "human": 2, "judge": 2},
]


def test_cli_reports_agreement_as_json(tmp_path: Path, cli: CLI) -> None:
    result = cli("judge", "calibrate", str(write(tmp_path / "labels.jsonl", ITEMS)), "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["n"] == 4 and report["exact_agreement"] == 0.75
    assert report["cohen_kappa"] == pytest.approx(0.5)
    assert report["spearman_rho"] == pytest.approx(2 / 12**0.5)
    assert report["confusion"] == [
        {"human": 1, "judge": 1, "count": 1},
        {"human": 1, "judge": 2, "count": 1},
        {"human": 2, "judge": 2, "count": 2},
    ]
    assert report["judge_model"] is None and report["judged_now"] == 0


def test_cli_text_and_min_kappa(tmp_path: Path, cli: CLI) -> None:
    labels = tmp_path / "labels.yaml"
    labels.write_text(
        "- {output: x, human: 1, judge: 1}\n- {output: x, human: 1, judge: 2}\n"
        "- {output: x, human: 2, judge: 2}\n- {output: x, human: 2, judge: 2}\n"
    )
    result = cli("judge", "calibrate", str(labels))
    assert result.code == 0
    assert "Cohen's kappa:    0.500" in result.out and "exact agreement:  75.0%" in result.out
    assert cli("judge", "calibrate", str(labels), "--min-kappa", "0.5").code == 0
    below = cli("judge", "calibrate", str(labels), "--min-kappa", "0.6")
    assert below.code == 1 and "kappa BELOW the minimum 0.6" in below.out


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "l.jsonl",
            '{"output": "x", "human": 1}\n{"output": "y", "human": 2,\n',
            "l.jsonl:2: invalid JSON",
        ),
        ("l.jsonl", '{"output": "x", "human": "high"}\n', "l.jsonl:1: 'human' must be a number"),
        ("l.jsonl", '{"output": "x", "human": 1, "jugde": 1}\n', "l.jsonl:1: unknown key 'jugde'"),
        ("l.jsonl", '{"human": 1}\n', "l.jsonl:1: item needs 'output' text"),
        ("l.jsonl", "\n", "l.jsonl: no items"),
        (
            "l.jsonl",
            '{"id": "a", "output": "x", "human": 1}\n{"id": "a", "output": "y", "human": 2}\n',
            "l.jsonl:2: duplicate item id 'a'",
        ),
        (
            "l.yaml",
            "- {output: x, human: 1}\n- {output: y, human: yes}\n",
            "l.yaml:2: YAML 1.1 reads 'yes'",
        ),
        ("l.yaml", "output: x\n", "l.yaml:1: expected a list of items"),
        ("l.csv", "output,human\n", "l.csv: unsupported file type '.csv'"),
        ("l.json", '{"output": "x"}', "l.json:1: invalid JSON: expected a list of items"),
        (
            "l.json",
            '[\n {"output": "x", "human": 1},\n {"output": 2, "human": 1}\n]',
            "l.json:3: item needs 'output' text",
        ),
        (
            "l.json",
            '[\n {"output": "x", "human": 1},\n {"output": "y" "human": 1}\n]',
            "l.json:3: invalid JSON",
        ),
    ],
)
def test_bad_files_are_one_clear_line(
    tmp_path: Path, cli: CLI, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(PromptshipError) as caught:
        load_items(path, name)
    assert caught.value.format().startswith(message)
    result = cli("judge", "calibrate", str(path))
    assert result.code == 1 and message.split(":")[-1].strip() in result.err
    assert "Traceback" not in result.err


def test_missing_judge_scores_need_a_model(examples: Path, cli: CLI) -> None:
    labels = write(examples / "labels.jsonl", [{"output": "x", "human": 1, "rubric": "r"}])
    result = cli("judge", "calibrate", str(labels))
    assert result.code == 2
    assert "no judge model is set" in result.err and "--model" in result.err


def test_missing_rubric_is_an_error(examples: Path, cli: CLI) -> None:
    labels = write(examples / "labels.jsonl", [{"output": "x", "human": 1}])
    result = cli("judge", "calibrate", str(labels), "--model", "openai/gpt-4o")
    assert result.code == 1 and "has no judge score and no rubric" in result.err


def test_calibrate_runs_the_real_judge_and_caches(
    llama_server: Any, tmp_path: Path, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Items without judge scores are judged by the local model; a rerun asks the cache."""
    root = tmp_path / "project"
    (root / "prompts").mkdir(parents=True)
    (root / "promptship.toml").write_text(
        '[judge]\nmodel = "local/gemma3-270m"\nparams = {temperature = 0, max_tokens = 80}\n'
    )
    llama_server.register(root)
    monkeypatch.chdir(root)
    monkeypatch.delenv("PROMPTSHIP_ROOT", raising=False)
    labels = write(
        root / "labels.jsonl",
        [
            {"output": "billing", "human": 5, "vars": {"ticket": "I need a refund"}},
            {"output": "weather is nice", "human": 1, "vars": {"ticket": "I need a refund"}},
            {"output": "technical", "human": 2, "judge": 2},
        ],
    )
    args = (
        "judge",
        "calibrate",
        str(labels),
        "--rubric",
        "Routes the ticket to billing.",
        "--json",
    )
    first = cli(*args)
    if first.code == 1:  # the tiny model may fail both items; that must be said clearly
        assert "the judge gave no valid score" in first.err
        return
    report = json.loads(first.out)
    print(report)  # visible with -s: how the tiny judge did
    assert first.code == 0, first.err
    assert report["judge_model"] == "local/gemma3-270m"
    assert report["judged_now"] + len(report["invalid"]) == 2
    assert report["n"] == 3 - len(report["invalid"])
    assert 2 <= report["judge_requests"] <= 4  # one call each, plus at most one repair each
    again = json.loads(cli(*args).out)
    assert again["judge_requests"] == 0
    assert {k: again[k] for k in ("n", "cohen_kappa", "invalid")} == {
        k: report[k] for k in ("n", "cohen_kappa", "invalid")
    }


def test_json_list_with_escapes_loads(tmp_path: Path) -> None:
    path = tmp_path / "labels.json"
    path.write_text(
        json.dumps(
            [
                {"output": "ok \U0001f600", "human": 5, "judge": 4},
                {"output": "", "human": 1, "judge": 1},
            ],
            indent=1,
        )
    )
    items = load_items(path)
    assert [(i.output, i.human, i.judge, i.line) for i in items] == [
        ("ok \U0001f600", 5.0, 4.0, 2),
        ("", 1.0, 1.0, 7),
    ]
