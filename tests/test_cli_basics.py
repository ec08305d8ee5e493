import json
from pathlib import Path

from conftest import CLI


def test_sha_is_stable_and_full(examples: Path, cli: CLI) -> None:
    result = cli("sha", "support_ticket_triage@v1")
    assert result.code == 0
    assert result.out.strip().startswith("sha256:") and len(result.out.strip()) == 71


def test_render_substitutes_values_and_defaults(examples: Path, cli: CLI) -> None:
    result = cli(
        "render", "support_ticket_triage@v2", "--var", "ticket_text=I need a refund", "--json"
    )
    assert result.code == 0, result.err
    messages = json.loads(result.out)["messages"]
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[1]["content"] == "I need a refund"
    assert "Ticket type: email" in messages[0]["content"]


def test_render_missing_variable_is_a_clear_error(examples: Path, cli: CLI) -> None:
    result = cli("render", "support_ticket_triage")
    assert result.code == 1
    assert "missing required variable 'ticket_text'" in result.err
    assert "Traceback" not in result.err


def test_unknown_prompt_suggests_a_name(examples: Path, cli: CLI) -> None:
    result = cli("show", "support_ticket_triag")
    assert result.code == 1
    assert "did you mean 'support_ticket_triage'?" in result.err


def test_usage_error_exits_2(examples: Path, cli: CLI) -> None:
    assert cli("sha").code == 2
    assert cli("render", "a@@b").code == 2


def test_list_json_names_every_version(examples: Path, cli: CLI) -> None:
    result = cli("list", "--json")
    rows = {row["name"]: row for row in json.loads(result.out)}
    assert rows["refund_handler"]["latest"] == "v18"
    assert [v["version"] for v in rows["support_ticket_triage"]["versions"]] == ["v1", "v2"]
