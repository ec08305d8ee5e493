"""Providers by name: `openai`, `anthropic`, `local`, or any `[tool.promptship.providers.<name>]`.

>>> provider = get_provider("openai", Project.find())      # doctest: +SKIP
>>> split_model("openai/gpt-4o-mini")
('openai', 'gpt-4o-mini')
"""

from __future__ import annotations

from promptship.errors import PromptshipError
from promptship.project import Project
from promptship.providers.base import Provider
from promptship.providers.settings import load_settings


def get_provider(name: str, project: Project) -> Provider:
    """A new provider instance; SDKs are imported on its first request, not here."""
    settings = load_settings(project, name)
    if settings.type == "anthropic":
        from promptship.providers.anthropic_provider import AnthropicProvider

        return AnthropicProvider(settings)
    if settings.type == "local":
        from promptship.providers.local import LocalProvider

        return LocalProvider(settings, project.root)
    from promptship.providers.openai_provider import OpenAIProvider

    return OpenAIProvider(settings)


def split_model(model: str) -> tuple[str, str]:
    """`provider/name` -> (provider, name); the name may itself contain slashes."""
    provider, _, name = model.partition("/")
    if not provider or not name:
        raise PromptshipError(
            f"model must look like 'provider/name', got {model!r}",
            fix="e.g. openai/gpt-4o-mini, anthropic/claude-sonnet-4-5 or local/gemma3-270m",
        )
    return provider, name
