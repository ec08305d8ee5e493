from pathlib import Path

import pytest

from conftest import CLI
from promptship.environments import DEFAULTS, load_environments
from promptship.errors import PromptshipError
from promptship.project import Project


def configure(root: Path, toml: str) -> Project:
    (root / "promptship.toml").write_text(toml)
    return Project(root)


def test_defaults_are_dev_staging_production(examples: Path) -> None:
    envs = load_environments(Project(examples))
    assert list(envs) == ["dev", "staging", "production"]
    assert tuple(envs.values()) == DEFAULTS
    assert not envs["dev"].requires_evidence and envs["dev"].requires is None
    assert envs["staging"].requires_evidence and envs["staging"].requires is None
    assert envs["production"].requires_evidence and envs["production"].requires == "staging"


def test_configured_environments_keep_their_order(examples: Path) -> None:
    project = configure(
        examples,
        "[environments.qa]\n"
        '[environments.prod]\nrequires_evidence = true\nrequires = "canary-ring"\n'
        "[environments.canary-ring]\nrequires_evidence = true\n",
    )
    envs = load_environments(project)
    assert list(envs) == ["qa", "prod", "canary-ring"]
    assert envs["prod"].requires == "canary-ring" and envs["prod"].requires_evidence
    assert not envs["qa"].requires_evidence


def test_pyproject_table_is_read(examples: Path) -> None:
    (examples / "pyproject.toml").write_text(
        "[tool.promptship.environments.live]\nrequires_evidence = true\n"
    )
    assert list(load_environments(Project(examples))) == ["live"]


@pytest.mark.parametrize(
    ("toml", "message", "line"),
    [
        (
            "[environments.dev]\nrequires_evidense = true\n",
            "unknown key 'requires_evidense' in environment 'dev'",
            2,
        ),
        (
            '[environments.dev]\nrequires_evidence = "yes"\n',
            "requires_evidence of 'dev' must be true or false",
            2,
        ),
        (
            '[environments.prod]\nrequires = "staging"\n',
            "requires 'staging', which is not another configured environment",
            2,
        ),
        (
            '[environments.prod]\nrequires = "prod"\n',
            "requires 'prod', which is not another configured environment",
            2,
        ),
        ("[environments.v2]\n", "invalid environment name 'v2'", 1),
        ("[environments.Prod]\n", "invalid environment name 'Prod'", 1),
        ("environments = {dev = 3}\n", "environment 'dev' must be a table", 1),
        ("environments = {}\n", "environments must be a table of environment tables", 1),
        (
            '[environments.a]\nrequires = "b"\n[environments.b]\nrequires = "a"\n',
            "environments require each other in a cycle: a -> b -> a",
            2,
        ),
    ],
)
def test_bad_configuration_is_one_clear_error(
    examples: Path, cli: CLI, toml: str, message: str, line: int
) -> None:
    project = configure(examples, toml)
    with pytest.raises(PromptshipError) as caught:
        load_environments(project)
    assert message in caught.value.message
    assert caught.value.where == f"{examples / 'promptship.toml'}:{line}"
    result = cli("status")
    assert result.code == 1
    assert "promptship.toml" in result.err and message in result.err
    assert "Traceback" not in result.err


def test_unknown_environment_in_a_reference_lists_the_known_ones(examples: Path, cli: CLI) -> None:
    result = cli("show", "support_ticket_triage@prod")
    assert result.code == 1
    assert "unknown environment 'prod'" in result.err
    assert "did you mean 'production'?" in result.err
    assert "dev, staging, production" in result.err


def test_nothing_pinned_is_a_clear_error(examples: Path, cli: CLI) -> None:
    result = cli("render", "support_ticket_triage@staging", "--var", "ticket_text=x")
    assert result.code == 1
    assert "nothing is pinned for support_ticket_triage in staging" in result.err
    assert "promptship promote support_ticket_triage vN --env staging" in result.err


def test_a_free_environment_needs_no_evidence(examples: Path, cli: CLI) -> None:
    configure(examples, "[environments.sandbox]\n")
    result = cli("promote", "support_ticket_triage", "v2", "--env", "sandbox")
    assert result.code == 0, result.err
    assert (
        cli("sha", "support_ticket_triage@sandbox").out.strip()
        == cli("sha", "support_ticket_triage@v2").out.strip()
    )
