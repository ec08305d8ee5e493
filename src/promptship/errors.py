"""The one user-facing error type, and the problems `check` reports.

Every failure a user can cause is a `PromptshipError` carrying where it happened and the
fix; `cli.main` is the one place that turns it into an exit code.
"""

from __future__ import annotations

from dataclasses import dataclass


class PromptshipError(Exception):
    """A failure caused by input or environment, reported as one line with the fix.

    >>> str(PromptshipError("unknown key 'modle'", where="prompts/a/v1.md:2", fix="did you mean 'model'?"))
    "prompts/a/v1.md:2: unknown key 'modle' (did you mean 'model'?)"
    """

    exit_code = 1

    def __init__(self, message: str, *, where: str | None = None, fix: str | None = None) -> None:
        self.message = message
        self.where = where
        self.fix = fix
        super().__init__(self.format())

    def format(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        return f"{text} ({self.fix})" if self.fix else text


class UsageError(PromptshipError):
    """The command line itself is wrong (exit code 2)."""

    exit_code = 2


def where(path: object, line: int | None = None) -> str:
    """`file:line` as errors show it; line numbers are 1-based."""
    return f"{path}:{line}" if line else str(path)


@dataclass(frozen=True)
class Problem:
    """One finding of `check`: `path:line: message (fix)`."""

    path: str
    line: int | None
    message: str
    fix: str | None = None
    severity: str = "error"  # "error" fails check; "warning" is reported only

    @classmethod
    def from_error(cls, error: PromptshipError, path: str) -> Problem:
        file, _, line = (error.where or path).rpartition(":")
        if file and line.isdigit():
            return cls(file, int(line), error.message, error.fix)
        return cls(error.where or path, None, error.message, error.fix)

    def format(self) -> str:
        text = f"{where(self.path, self.line)}: {self.message}"
        if self.severity != "error":
            text = f"{where(self.path, self.line)}: {self.severity}: {self.message}"
        return f"{text} ({self.fix})" if self.fix else text

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
        }
