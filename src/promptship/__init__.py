"""promptship: a git-native toolchain for LLM prompts."""

__version__ = "0.1.0"
