from pathlib import Path

import pytest

from conftest import CLI
from promptship.config import load_config
from promptship.errors import PromptshipError


def test_no_configuration_means_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert (config.path, config.prompts_dir, config.evals_dir) == (None, "prompts", "evals")


def test_pyproject_table_is_read_and_promptship_toml_wins(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.promptship]\nprompts_dir = "llm/prompts"\n')
    assert load_config(tmp_path).prompts_dir == "llm/prompts"
    (tmp_path / "promptship.toml").write_text('evals_dir = "golden"\n')
    config = load_config(tmp_path)
    assert (config.prompts_dir, config.evals_dir) == ("prompts", "golden")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'prompt_dir = "p"\n',
            "unknown configuration key 'prompt_dir' (did you mean 'prompts_dir'?)",
        ),
        ("eval = {}\n", "unknown configuration key 'eval'"),
        ('prompts_dir = "/abs"\n', "prompts_dir must be a relative path inside the project"),
        ('evals_dir = "../up"\n', "evals_dir must be a relative path inside the project"),
        ("prompts_dir = 3\n", "prompts_dir must be a relative path"),
        ("prompts_dir = \n", "invalid TOML"),
    ],
)
def test_bad_configuration_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "promptship.toml").write_text(text)
    with pytest.raises(PromptshipError) as caught:
        load_config(tmp_path)
    assert message in caught.value.format()
    assert "promptship.toml" in caught.value.format()


def test_commands_report_a_bad_configuration_without_a_traceback(examples: Path, cli: CLI) -> None:
    (examples / "promptship.toml").write_text('prompts_dir = "/etc"\n')
    result = cli("list")
    assert result.code == 1
    assert "promptship.toml: prompts_dir must be a relative path" in result.err
    assert "Traceback" not in result.err
