"""A small project whose eval verdicts do not depend on what the model says.

`triage@v1` answers with at most 1 token and requires a `legacy` variable; `triage@v2`
answers with up to 12 tokens and gives `legacy` a default. So, with the cases below:

| case     | assertion                | v1 (baseline)      | v2 (candidate) |
|----------|--------------------------|--------------------|----------------|
| always   | regex '.*'               | pass               | pass           |
| never    | not_regex '.*'           | fail               | fail           |
| short    | max_output_tokens 3      | pass (1 token)     | fail (> 3)     | -> regression
| no-vars  | regex '.*', no `legacy`  | error (render)     | pass           | -> fix
| ok-N     | regex '.*'               | pass               | pass           |

`echo@v1` has a golden set where every case passes, for evidence that counts.
"""

from __future__ import annotations

from pathlib import Path

V1 = """---
model: llama/gemma3-270m
params: {temperature: 0, max_tokens: 1}
variables:
  topic: {required: true}
  legacy: {required: true}
---
system:
Count from 1 to 50, separated by spaces. {{ legacy }}
user:
{{ topic }}
"""

V2 = """---
model: llama/gemma3-270m
params: {temperature: 0, max_tokens: 12}
variables:
  topic: {required: true}
  legacy: {default: ""}
---
system:
Count from 1 to 50, separated by spaces. {{ legacy }}
user:
{{ topic }}
"""

ECHO = """---
model: llama/gemma3-270m
params: {temperature: 0, max_tokens: 2}
variables:
  word: {required: true}
---
user:
Say {{ word }}.
"""

EXTRA_CASES = 6


def golden_set() -> str:
    cases = [
        "  - {id: always, vars: {topic: a, legacy: x}, assert: [{type: regex, value: '.*'}], tags: [core]}",
        "  - {id: never, vars: {topic: b, legacy: x}, assert: [{type: not_regex, value: '.*'}], tags: [core]}",
        "  - {id: short, vars: {topic: c, legacy: x}, assert: [{type: max_output_tokens, value: 3}], tags: [length]}",
        "  - {id: no-vars, vars: {topic: d}, assert: [{type: regex, value: '.*'}], tags: [length]}",
    ]
    cases += [
        f"  - {{id: ok-{i}, vars: {{topic: 'n{i}', legacy: x}}, assert: [{{type: regex, value: '.*'}}], tags: [bulk]}}"
        for i in range(1, EXTRA_CASES + 1)
    ]
    return (
        "prompt: triage\ncases:\n"
        + "\n".join(cases)
        + "\ngate: {min_pass_rate: 0.5, by_tag: {core: 0.5}, no_regressions: true}\n"
    )


ECHO_SET = """prompt: echo
cases:
  - {id: one, vars: {word: hi}, assert: [{type: regex, value: '.*'}]}
  - {id: two, vars: {word: yo}, assert: [{type: max_output_tokens, value: 2}]}
gate: {min_pass_rate: 1.0}
"""


def changelog(name: str, versions: list[int]) -> str:
    entries = "".join(f"## v{v} - 2026-11-20\nVersion {v}.\n" for v in reversed(versions))
    return f"# {name}\n{entries}"


def make_project(root: Path, base_url: str, api_key_env: str = "") -> Path:
    """Write the project under `root`; provider `llama` speaks OpenAI to `base_url`."""
    (root / "prompts" / "triage").mkdir(parents=True)
    (root / "prompts" / "echo").mkdir(parents=True)
    (root / "evals").mkdir()
    (root / "prompts" / "triage" / "v1.md").write_text(V1)
    (root / "prompts" / "triage" / "v2.md").write_text(V2)
    (root / "prompts" / "triage" / "CHANGELOG.md").write_text(changelog("triage", [1, 2]))
    (root / "prompts" / "echo" / "v1.md").write_text(ECHO)
    (root / "prompts" / "echo" / "CHANGELOG.md").write_text(changelog("echo", [1]))
    (root / "evals" / "triage.yaml").write_text(golden_set())
    (root / "evals" / "echo.yaml").write_text(ECHO_SET)
    (root / "pyproject.toml").write_text(
        "[tool.promptship.providers.llama]\n"
        f'type = "openai"\nbase_url = "{base_url}/v1"\napi_key_env = "{api_key_env}"\n'
    )
    return root


ALL_CASES = ["always", "never", "short", "no-vars", *[f"ok-{i}" for i in range(1, EXTRA_CASES + 1)]]
