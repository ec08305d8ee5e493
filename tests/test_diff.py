"""`promptship diff` on the bundled examples and on versions written for each case."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import CLI
from promptship.project import Project
from promptship.prompt_stats import measure

TRIAGE = Path("prompts/support_ticket_triage")


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


def test_bundled_v1_to_v2(examples: Path, cli: CLI) -> None:
    project = Project(examples)
    v1, v2 = project.load("support_ticket_triage", 1), project.load("support_ticket_triage", 2)
    result = cli("diff", "support_ticket_triage", "v1", "v2")
    assert result.code == 0, result.err
    assert v1.sha[7:19] in result.out and v2.sha[7:19] in result.out
    assert "message 1 (system): changed" in result.out
    assert "-Technical issues include billing API integrations" in result.out
    assert "+Categories:" in result.out
    assert "message 2 (user): unchanged" in result.out
    assert "(documentation only)" in result.out  # the description changed
    old, new = measure(v1).input_tokens, measure(v2).input_tokens
    assert f"input tokens per call: {old} -> {new} ({new - old:+d}" in result.out
    assert "exact, o200k_base" in result.out
    assert "required variables counted as empty: ticket_text" in result.out


def test_json_has_every_part(examples: Path, cli: CLI) -> None:
    result = cli("diff", "support_ticket_triage", "v1", "v2", "--json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    project = Project(examples)
    assert doc["old"]["sha256"] == project.load("support_ticket_triage", 1).sha
    assert doc["new"]["selector"] == "v2"
    assert doc["identical"] is False
    assert [m["status"] for m in doc["messages"]] == ["changed", "unchanged"]
    system = doc["messages"][0]
    assert system["diff"][0] == "--- v1 message 1 (system)"
    assert system["new_tokens"] - system["old_tokens"] == doc["tokens"]["delta"]
    assert [c["path"] for c in doc["config"]] == ["description"]
    assert doc["config"][0]["documentation_only"] is True
    assert doc["tokens"]["exact"] is True
    assert doc["eval"] is None


def test_structured_config_changes(examples: Path, cli: CLI) -> None:
    source = (examples / TRIAGE / "v2.md").read_text("utf-8")
    edited = (
        source.replace(
            "params: {temperature: 0, max_tokens: 8}", "params: {temperature: 0.2, top_p: 0.9}"
        )
        .replace(
            "  customer_tier: {default: free}\n",
            "  customer_tier: {required: true}\n  region: {default: eu}\n",
        )
        .replace("output: {format: text}", "output: {format: json}")
        .replace("model: openai/gpt-4o-mini", "model: anthropic/claude-haiku-4-5")
        .replace("tags: [support, routing]", "tags: [support, routing, billing]")
        .replace("{{ ticket_text }}", "{{ ticket_text }}\nassistant:\nRegion {{ region }}.")
    )
    _write(examples, f"{TRIAGE}/v3.md", edited)
    doc = json.loads(cli("diff", "support_ticket_triage", "v2", "v3", "--json").out)
    lines = [c["text"] for c in doc["config"]]
    assert "model: 'openai/gpt-4o-mini' -> 'anthropic/claude-haiku-4-5'" in lines
    assert "params.temperature: 0 -> 0.2" in lines
    assert "params.top_p: added (0.9)" in lines
    assert "params.max_tokens: removed (was 8)" in lines
    assert "variables.region: added (default 'eu')" in lines
    assert "variables.customer_tier.required: false -> true" in lines
    assert "variables.customer_tier.default: 'free' -> null" in lines
    assert "output.format: 'text' -> 'json'" in lines
    assert (
        "tags: ['support', 'routing'] -> ['support', 'routing', 'billing'] (documentation only)"
        in lines
    )
    assert [m["status"] for m in doc["messages"]] == ["unchanged", "unchanged", "added"]
    added = doc["messages"][2]
    assert added["old_tokens"] is None and added["new_role"] == "assistant"
    assert "+Region {{ region }}." in added["diff"]
    assert doc["tokens"]["exact"] is False  # the new model's tokenizer is not public
    text = cli("diff", "support_ticket_triage", "v2", "v3").out
    assert "message 3 (assistant): added" in text
    assert "estimate" in text


def test_removed_message_and_role_change(examples: Path, cli: CLI) -> None:
    _write(
        examples,
        "prompts/p/v1.md",
        "---\nmodel: openai/gpt-4o\n---\nsystem:\nBe brief.\nuser:\nHello\nassistant:\nHi\n",
    )
    _write(
        examples,
        "prompts/p/v2.md",
        "---\nmodel: openai/gpt-4o\n---\nsystem:\nBe brief.\nassistant:\nHello\n",
    )
    doc = json.loads(cli("diff", "p", "v1", "v2", "--json").out)
    statuses = [(m["status"], m["role_changed"]) for m in doc["messages"]]
    assert statuses == [("unchanged", False), ("changed", True), ("removed", False)]
    assert doc["messages"][2]["diff"][1] == "+++ /dev/null"
    text = cli("diff", "p", "v1", "v2").out
    assert "message 2 (user -> assistant): changed" in text
    assert "message 3 (assistant): removed" in text


def test_identical_versions(examples: Path, cli: CLI) -> None:
    # The same prompt as YAML, with another description: same SHA.
    _write(
        examples,
        "prompts/p/v1.md",
        "---\nmodel: openai/gpt-4o\nparams: {temperature: 1}\ndescription: one\n---\nsystem:\nBe brief.\nuser:\nHello\n",
    )
    _write(
        examples,
        "prompts/p/v2.yaml",
        "model: openai/gpt-4o\nparams: {temperature: 1.0}\ndescription: two\nmessages:\n"
        "  - {role: system, content: Be brief.}\n  - {role: user, content: Hello}\n",
    )
    result = cli("diff", "p", "v1", "v2")
    assert result.code == 0
    assert "identical: same SHA" in result.out
    assert "description: 'one' -> 'two' (documentation only)" in result.out
    assert "temperature" not in result.out  # 1 and 1.0 are the same number
    assert json.loads(cli("diff", "p", "v1", "v2", "--json").out)["identical"] is True


def test_bad_references_are_one_line_errors(examples: Path, cli: CLI) -> None:
    result = cli("diff", "support_ticket_triage", "v1", "v9")
    assert result.code == 1
    assert "support_ticket_triage has no version v9" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert cli("diff", "support_ticket_triage", "v1", "@x").code == 2
    assert cli("diff", "../etc", "v1", "v2").code == 1


def test_environment_selectors_resolve_to_their_pins(examples: Path, cli: CLI) -> None:
    from promptship.promotion import promote

    promote(Project(examples), "support_ticket_triage", "v1", "dev")
    doc = json.loads(cli("diff", "support_ticket_triage", "dev", "v2", "--json").out)
    assert (doc["old"]["selector"], doc["old"]["version"]) == ("dev", "v1")
    assert (
        "support_ticket_triage dev (v1) " in cli("diff", "support_ticket_triage", "dev", "v2").out
    )
    result = cli("diff", "support_ticket_triage", "production", "v2")
    assert result.code == 1
    assert "nothing is pinned for support_ticket_triage in production" in result.err


def test_recorded_results_add_the_per_case_eval_delta(examples: Path, cli: CLI) -> None:
    from lock_helpers import record

    project = Project(examples)
    record(project, "support_ticket_triage", 1, passed=False)
    record(project, "support_ticket_triage", 2, passed=True)
    doc = json.loads(cli("diff", "support_ticket_triage", "v1", "v2", "--json").out)
    delta = doc["eval"]
    assert delta["fixes"] == ["billing-refund"] and delta["regressions"] == []
    assert delta["pass_rate_delta"] == 1.0
    text = cli("diff", "support_ticket_triage", "v1", "v2").out
    assert "eval: v1 0% -> v2 100%" in text
    assert "billing-refund" in text
