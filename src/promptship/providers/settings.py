"""Provider configuration: `[tool.promptship.providers.<name>]` in pyproject.toml, or
`[providers.<name>]` in promptship.toml, validated here.

    [tool.promptship.providers.vllm]
    type = "openai"                       # openai | anthropic | local
    base_url = "http://127.0.0.1:8000/v1"
    api_key_env = ""                      # "" = the server needs no key
    timeout_s = 120
    max_connections = 8

The built-in names `openai`, `anthropic` and `local` need no table; a table with a built-in
name overrides its defaults (e.g. `base_url` for `openai`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptship.config import CONFIG_FILE
from promptship.errors import Problem, PromptshipError
from promptship.project import Project

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
TYPES = ("openai", "anthropic", "local")
DEFAULT_KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "local": ""}
_SDK_KEYS = ("type", "base_url", "api_key_env", "timeout_s", "max_connections", "drop_unsupported")
KEYS = {
    "openai": _SDK_KEYS,
    "anthropic": _SDK_KEYS,
    "local": ("type", "timeout_s", "max_connections"),
}
DEFAULT_MAX_CONNECTIONS = {"openai": 16, "anthropic": 16, "local": 4}


@dataclass(frozen=True)
class ProviderSettings:
    name: str  # what prompts use before the slash: `name/model`
    type: str  # which SDK speaks to it: openai | anthropic | local
    base_url: str | None = None  # None: the SDK's default (or its *_BASE_URL variable)
    api_key_env: str = ""  # the variable holding the key; "" = no key needed
    timeout_s: float = 60.0
    max_connections: int = 16
    drop_unsupported: tuple[str, ...] = ()  # params to leave out on purpose when unsupported
    table: str = ""  # its heading as the user writes it, for messages

    def __post_init__(self) -> None:
        if not self.table:
            object.__setattr__(self, "table", f"[tool.promptship.providers.{self.name}]")


def heading(project: Project, name: str) -> str:
    """`[providers.NAME]` in promptship.toml, `[tool.promptship.providers.NAME]` in pyproject."""
    path = project.config.path
    prefix = "" if path is not None and path.name == CONFIG_FILE else "tool.promptship."
    return f"[{prefix}providers.{name}]"


def load_settings(project: Project, name: str) -> ProviderSettings:
    """The settings for provider `name`; checks the whole providers table first."""
    tables = _tables(project)
    table = tables.get(name)
    if table is None:
        if name not in TYPES:
            configured = sorted(set(TYPES) | set(tables))
            raise PromptshipError(
                f"unknown provider {name!r}",
                fix=f"use one of {', '.join(configured)}, or configure "
                f"{heading(project, name)} with type and base_url",
            )
        table = {}
    return _settings(project, name, table)


def _tables(project: Project) -> dict[str, dict[str, Any]]:
    section = project.config.section("providers")
    if section is None:
        return {}
    where = str(project.config.path)
    if not isinstance(section, dict) or not all(isinstance(t, dict) for t in section.values()):
        raise PromptshipError(
            "providers must be a table of tables",
            where=where,
            fix=f'e.g. {heading(project, "vllm")} type = "openai"',
        )
    for name, table in section.items():
        _settings(project, name, table)
    return section


def _settings(project: Project, name: str, table: dict[str, Any]) -> ProviderSettings:
    where = str(project.config.path)
    table_name = heading(project, name)
    kind = table.get("type", name if name in TYPES else None)
    if kind not in TYPES:
        raise PromptshipError(
            f"{table_name} type must be one of {', '.join(TYPES)}, got {kind!r}",
            where=where,
            fix='add type = "openai" for any OpenAI-compatible server (vLLM, Ollama, llama.cpp)',
        )
    for key in table:
        if key not in KEYS[kind]:
            close = difflib.get_close_matches(key, KEYS[kind], n=1)
            fix = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(KEYS[kind])}"
            if kind == "local" and key == "base_url":
                fix = 'for a server you run yourself use type = "openai" with base_url'
            raise PromptshipError(f"{table_name} unknown key {key!r}", where=where, fix=fix)
    base_url = table.get("base_url")
    if base_url is not None and not (
        isinstance(base_url, str) and base_url.startswith(("http://", "https://"))
    ):
        raise PromptshipError(
            f"{table_name} base_url must be an http(s) URL, got {base_url!r}",
            where=where,
            fix='e.g. base_url = "http://127.0.0.1:8000/v1"',
        )
    key_env = table.get("api_key_env", DEFAULT_KEY_ENV[kind])
    if not isinstance(key_env, str) or (key_env and not ENV_NAME.fullmatch(key_env)):
        # Never echo the value: people paste the key itself here.
        raise PromptshipError(
            f'{table_name} api_key_env must be the name of an environment variable, or ""',
            where=where,
            fix='e.g. api_key_env = "MY_SERVER_KEY" (never the key itself)',
        )
    timeout = table.get("timeout_s", 60.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise PromptshipError(
            f"{table_name} timeout_s must be a positive number of seconds, got {timeout!r}",
            where=where,
        )
    connections = table.get("max_connections", DEFAULT_MAX_CONNECTIONS[kind])
    if isinstance(connections, bool) or not isinstance(connections, int) or connections < 1:
        raise PromptshipError(
            f"{table_name} max_connections must be a positive integer, got {connections!r}",
            where=where,
        )
    drop = table.get("drop_unsupported", [])
    if not isinstance(drop, list) or not all(isinstance(p, str) for p in drop):
        raise PromptshipError(
            f"{table_name} drop_unsupported must be a list of parameter names",
            where=where,
            fix='e.g. drop_unsupported = ["temperature"]',
        )
    return ProviderSettings(
        name=name,
        type=kind,
        base_url=base_url,
        api_key_env=key_env,
        timeout_s=float(timeout),
        max_connections=connections,
        drop_unsupported=tuple(drop),
        table=table_name,
    )


def check_problems(project: Project, files: set[Path] | None) -> list[Problem]:
    """The `check` rule for the providers tables (when the config file is being checked)."""
    path = project.config.path
    if path is None or (files is not None and path.resolve() not in files):
        return []
    try:
        _tables(project)
    except PromptshipError as exc:
        return [Problem(project.rel(path), None, exc.message, exc.fix)]
    return []
