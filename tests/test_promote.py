import json
from pathlib import Path

import pytest

from conftest import CLI
from lock_helpers import TRIAGE, git, init_repo, record
from promptship import evidence, lockfile
from promptship.errors import PromptshipError
from promptship.lockformat import Pin
from promptship.project import Project


def pin(root: Path, env: str, name: str = TRIAGE) -> Pin:
    found = lockfile.read(Project(root)).pin(env, name)
    assert found is not None
    return found


def short(root: Path, version: int) -> str:
    return Project(root).load(TRIAGE, version).sha[7:19]


def test_dev_is_free_and_staging_needs_evidence(examples: Path, cli: CLI) -> None:
    assert cli("promote", TRIAGE, "v2", "--env", "dev").code == 0
    result = cli("promote", TRIAGE, "v2", "--env", "staging")
    assert result.code == 1
    assert (
        f"no passing evidence for {TRIAGE}@v2 (sha256:{short(examples, 2)}) with the current golden set"
        in result.err
    )
    assert f"run `promptship eval {TRIAGE}@v2 --record`" in result.err
    assert "Traceback" not in result.err
    assert pin(examples, "dev").version == 2
    assert lockfile.read(Project(examples)).pin("staging", TRIAGE) is None


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"passed": False}, "1 gate failed"),
        ({"complete": False}, "1 incomplete run"),
        ({"golden_sha": "sha256:" + "0" * 64}, "1 for an older golden set"),
    ],
)
def test_evidence_that_does_not_count_is_named(
    examples: Path, cli: CLI, kwargs: dict[str, object], reason: str
) -> None:
    record(Project(examples), TRIAGE, 2, **kwargs)  # type: ignore[arg-type]
    result = cli("promote", TRIAGE, "v2", "--env", "staging")
    assert result.code == 1
    assert f"with the current golden set ({reason})" in result.err


def test_passing_evidence_is_recorded_and_production_needs_staging(
    examples: Path, cli: CLI
) -> None:
    project = Project(examples)
    path = record(project, TRIAGE, 2)
    assert path.parent == examples / "evals" / "results" / TRIAGE
    assert path.name == f"v2-{short(examples, 2)}-20261120T100000Z.json"
    assert evidence.find_passing(project, project.load(TRIAGE, 2)) == path

    result = cli("promote", TRIAGE, "v2", "--env", "production")
    assert result.code == 1
    assert (
        f"v2 (sha256:{short(examples, 2)}) is not pinned in staging; promote it there first"
        in result.err
    )
    assert f"promptship promote {TRIAGE} v2 --env staging" in result.err

    assert cli("promote", TRIAGE, "v2", "--env", "staging", "--note", "billing fix").code == 0
    staged = pin(examples, "staging")
    assert staged.evidence == f"evals/results/{TRIAGE}/{path.name}"
    assert staged.note == "billing fix" and staged.forced_reason is None

    result = cli("promote", TRIAGE, "v2", "--env", "production", "--json")
    assert result.code == 0, result.err
    shown = json.loads(result.out)
    assert shown["pin"]["version"] == "v2" and shown["changed"] is True
    assert cli("sha", f"{TRIAGE}@production").out.strip() == project.load(TRIAGE, 2).sha


def test_staging_pinning_another_version_is_named(examples: Path, cli: CLI) -> None:
    project = Project(examples)
    record(project, TRIAGE, 1)
    record(project, TRIAGE, 2)
    assert cli("promote", TRIAGE, "v1", "--env", "staging").code == 0
    result = cli("promote", TRIAGE, "v2", "--env", "production")
    assert result.code == 1 and "is not pinned in staging (it serves v1)" in result.err


def test_a_changed_golden_set_invalidates_evidence(examples: Path, cli: CLI) -> None:
    record(Project(examples), TRIAGE, 2)
    golden = examples / "evals" / f"{TRIAGE}.yaml"
    golden.write_text(
        golden.read_text().replace(
            "cases:\n",
            'cases:\n  - id: new-case\n    vars: {ticket_text: "Refund me"}\n    expect: billing\n\n',
            1,
        )
    )
    result = cli("promote", TRIAGE, "v2", "--env", "staging")
    assert result.code == 1 and "1 for an older golden set" in result.err


def test_without_a_golden_set_no_evidence_can_count(examples: Path, cli: CLI) -> None:
    record(Project(examples), TRIAGE, 2)
    (examples / "evals" / f"{TRIAGE}.yaml").unlink()
    result = cli("promote", TRIAGE, "v2", "--env", "staging")
    assert result.code == 1
    assert (
        f"{TRIAGE} has no golden set (evals/{TRIAGE}.yaml), so no evidence can count" in result.err
    )


def test_force_needs_a_reason_which_is_recorded(examples: Path, cli: CLI) -> None:
    assert cli("promote", TRIAGE, "v2", "--env", "production", "--force").code == 2
    assert cli("promote", TRIAGE, "v2", "--env", "production", "--reason", "x").code == 2
    result = cli(
        "promote", TRIAGE, "v2", "--env", "production", "--force", "--reason", "incident 4711"
    )
    assert result.code == 0, result.err
    assert "[forced]" in result.out
    forced = pin(examples, "production")
    assert forced.forced_reason == "incident 4711" and forced.evidence is None


def _production_v1(examples: Path, cli: CLI) -> None:
    project = Project(examples)
    for version in (1, 2):
        record(project, TRIAGE, version)
        assert cli("promote", TRIAGE, f"v{version}", "--env", "staging").code == 0
    assert cli("promote", TRIAGE, "v1", "--env", "production", "--force", "--reason", "r").code == 0


def test_canary_ramp_then_full_promotion_clears_it(examples: Path, cli: CLI) -> None:
    _production_v1(examples, cli)
    result = cli("promote", TRIAGE, "v2", "--env", "production", "--canary", "10", "-m", "ramp")
    assert result.code == 0, result.err
    current = pin(examples, "production")
    assert current.version == 1 and current.canary is not None
    assert (current.canary.version, current.canary.weight, current.canary.note) == (2, 10, "ramp")
    assert current.canary.evidence is not None
    assert cli("promote", TRIAGE, "v2", "--env", "production", "--canary", "50").code == 0
    assert pin(examples, "production").canary.weight == 50  # type: ignore[union-attr]
    # The stable version serves the rest: `@production` is still v1.
    assert cli("sha", f"{TRIAGE}@production").out.strip() == Project(examples).load(TRIAGE, 1).sha
    result = cli("promote", TRIAGE, "v2", "--env", "production")
    assert result.code == 0 and "the canary is now stable" in result.out
    full = pin(examples, "production")
    assert (full.version, full.replaced, full.canary) == (2, 1, None)


def test_canary_gates_and_errors(examples: Path, cli: CLI) -> None:
    result = cli("promote", TRIAGE, "v2", "--env", "dev", "--canary", "10")
    assert result.code == 1 and "no stable version for a canary" in result.err
    assert cli("promote", TRIAGE, "v1", "--env", "dev").code == 0
    assert cli("promote", TRIAGE, "v2", "--env", "dev", "--canary", "0").code == 2
    assert cli("promote", TRIAGE, "v2", "--env", "dev", "--canary", "100").code == 2
    result = cli("promote", TRIAGE, "v1", "--env", "dev", "--canary", "5")
    assert result.code == 1 and "already the stable version in dev" in result.err
    # A canary in an environment with gates needs the same evidence as a full promotion.
    assert cli("promote", TRIAGE, "v1", "--env", "staging", "--force", "--reason", "r").code == 0
    result = cli("promote", TRIAGE, "v2", "--env", "staging", "--canary", "10")
    assert result.code == 1 and "no passing evidence" in result.err


def test_rollback_removes_a_canary_first_then_restores_what_was_replaced(
    examples: Path, cli: CLI
) -> None:
    _production_v1(examples, cli)
    assert cli("promote", TRIAGE, "v2", "--env", "production", "--canary", "10").code == 0
    result = cli("rollback", TRIAGE, "--env", "production")
    assert result.code == 0, result.err
    assert "removed the canary" in result.out
    after = pin(examples, "production")
    assert (after.version, after.canary, after.note) == (1, None, "rollback: canary v2 removed")

    assert cli("promote", TRIAGE, "v2", "--env", "production").code == 0
    result = cli("rollback", TRIAGE, "--env", "production", "--note", "misroutes billing")
    assert result.code == 0 and "rolled back support_ticket_triage from v2 to v1" in result.out
    back = pin(examples, "production")
    assert (back.version, back.replaced, back.note) == (1, 2, "misroutes billing")
    assert back.sha256 == Project(examples).load(TRIAGE, 1).sha
    # Rolling back again undoes the rollback.
    assert cli("rollback", TRIAGE, "--env", "production").code == 0
    assert pin(examples, "production").version == 2


def test_rollback_errors(examples: Path, cli: CLI) -> None:
    result = cli("rollback", TRIAGE, "--env", "dev")
    assert result.code == 1 and "nothing to roll back" in result.err
    assert cli("promote", TRIAGE, "v1", "--env", "dev").code == 0
    result = cli("rollback", TRIAGE, "--env", "dev")
    assert result.code == 1 and "replaced nothing in dev" in result.err
    assert cli("rollback", TRIAGE, "--env", "qa").code == 1


def test_commit_records_only_the_lockfile(examples: Path, cli: CLI) -> None:
    init_repo(examples)
    (examples / "unrelated.txt").write_text("staged, not committed\n")
    git(examples, "add", "unrelated.txt")
    result = cli("promote", TRIAGE, "v1", "--env", "dev", "--note", "first pin", "--commit")
    assert result.code == 0, result.err
    assert "committed prompts.lock as" in result.out
    assert git(examples, "show", "--name-only", "--format=", "HEAD") == "prompts.lock"
    message = git(examples, "log", "-1", "--format=%B")
    assert message.startswith(f"promptship: pinned {TRIAGE}@v1")
    assert "in dev" in message.splitlines()[0] and "first pin" in message
    assert "unrelated.txt" in git(examples, "diff", "--cached", "--name-only")
    assert pin(examples, "dev").promoted_by == "Ada Lovelace <ada@example.com>"
    assert cli("rollback", TRIAGE, "--env", "dev", "--commit").code == 1  # nothing to roll back
    assert cli("promote", TRIAGE, "v2", "--env", "dev", "--commit").code == 0
    assert cli("rollback", TRIAGE, "--env", "dev", "--commit").code == 0
    assert git(examples, "log", "-1", "--format=%s").startswith("promptship: rolled back")
    assert git(examples, "status", "--porcelain", "prompts.lock") == ""


def test_evidence_files_are_validated(examples: Path) -> None:
    project = Project(examples)
    path = record(project, TRIAGE, 2)
    data = json.loads(path.read_text())
    assert evidence.load(path) == data
    broken = path.with_name("broken.json")
    broken.write_text('{\n  "format": "promptship.eval-result",\n  oops\n}\n')
    with pytest.raises(PromptshipError) as caught:
        evidence.load(broken)
    assert caught.value.where == f"{broken}:3"
    for change, message in (
        (lambda d: d.pop("gate"), "missing field 'gate'"),
        (lambda d: d.update(extra=1), "unknown field 'extra'"),
        (
            lambda d: d["cases"][0].update(status="ok"),
            "field 'cases[0].status' must be pass, fail or error",
        ),
        (
            lambda d: d["prompt"].update(sha256="abc"),
            "field 'prompt.sha256' must be sha256:<64 lowercase hex>",
        ),
        (
            lambda d: d.update(format_version=2),
            "not a promptship.eval-result format_version 1 record",
        ),
        (
            lambda d: d["summary"]["by_tag"].update(billing="all"),
            "field 'summary.by_tag.billing' must be a number",
        ),
    ):
        changed = json.loads(path.read_text())
        change(changed)
        broken.write_text(json.dumps(changed))
        with pytest.raises(PromptshipError) as caught:
            evidence.load(broken)
        assert message in caught.value.message
        with pytest.raises(PromptshipError):
            evidence.write(project, changed)
    # A second run in the same second gets its own file.
    again = record(project, TRIAGE, 2)
    assert again != path and again.name.endswith("-2.json")


def test_list_and_show_say_where_each_version_is_pinned(examples: Path, cli: CLI) -> None:
    assert cli("promote", TRIAGE, "v1", "--env", "dev").code == 0
    assert cli("promote", TRIAGE, "v2", "--env", "dev", "--canary", "25").code == 0
    assert cli("promote", TRIAGE, "v1", "--env", "production", "--force", "--reason", "r").code == 0
    rows = json.loads(cli("list", "--json").out)
    triage = next(r for r in rows if r["name"] == TRIAGE)
    pinned = {v["version"]: v["pinned"] for v in triage["versions"]}
    assert pinned["v1"] == [
        {"env": "dev", "role": "stable"},
        {"env": "production", "role": "stable"},
    ]
    assert pinned["v2"] == [{"env": "dev", "role": "canary", "weight": 25}]
    assert "dev, production" in cli("list").out
    assert "pinned: dev (canary 25%)" in cli("show", f"{TRIAGE}@v2").out
    assert json.loads(cli("show", f"{TRIAGE}@production", "--json").out)["version"] == "v1"
