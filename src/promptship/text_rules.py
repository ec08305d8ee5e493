"""Rules for the raw text of files we keep in git: no secrets, NFC, no invisible characters.

Each finds problems by line; `check` applies them to prompt files and changelogs, and any
other module that stores user text (golden sets) can reuse `text_problems`.
"""

from __future__ import annotations

import re
import unicodedata

from promptship.errors import Problem

# Each pattern's first group is the fixed prefix that identifies the kind of key; it is the
# only part (with the last characters) that a message may show.
_BOUNDARY = r"(?<![A-Za-z0-9_\-])"
SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an Anthropic API key", re.compile(_BOUNDARY + r"(sk-ant-)[A-Za-z0-9_\-]{20,}")),
    (
        "an OpenAI API key",
        re.compile(_BOUNDARY + r"(sk-(?!ant-)(?:proj-|svcacct-|admin-)?)[A-Za-z0-9_\-]{20,}"),
    ),
    ("an AWS access key id", re.compile(_BOUNDARY + r"(AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Za-z])")),
    ("a GitHub token", re.compile(_BOUNDARY + r"(gh[pousr]_)[A-Za-z0-9]{36,}")),
    ("a GitHub token", re.compile(_BOUNDARY + r"(github_pat_)[A-Za-z0-9_]{22,}")),
    ("a Slack token", re.compile(_BOUNDARY + r"(xox[bpaors]-)[A-Za-z0-9\-]{10,}")),
    ("a Google API key", re.compile(_BOUNDARY + r"(AIza)[0-9A-Za-z_\-]{35}")),
    ("a private key", re.compile(r"(-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----)")),
)
# One pass over the text finds every candidate; the list above then says which kind it is.
_ANY_SECRET = re.compile("|".join(f"(?:{p.pattern})" for _, p in SECRET_PATTERNS))
# The prefixes alone: a literal scan is 20x faster, and almost no text contains one.
_PREFIXES = re.compile(r"sk-|AKIA|ASIA|gh[pousr]_|github_pat_|xox[bpaors]-|AIza|-----BEGIN")
# Placeholders such as sk-xxxxxxxxxxxxxxxxxxxx are not keys: real keys are random.
_MIN_DISTINCT = 8

INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
    "\ufff9-\ufffb\U000e0000-\U000e007f]"
)
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ZWNJ, _ZWJ, _BLACK_FLAG = "\u200c", "\u200d", "\U0001f3f4"


def text_problems(text: str, path: str) -> list[Problem]:
    """Secrets, non-NFC text and invisible characters in `text` (LF line ends)."""
    return [
        *secret_problems(text, path),
        *nfc_problems(text, path),
        *invisible_problems(text, path),
    ]


def secret_problems(text: str, path: str) -> list[Problem]:
    if _PREFIXES.search(text) is None:
        return []
    problems = []
    for match in _ANY_SECRET.finditer(text):
        found = match.group(0)
        for kind, pattern in SECRET_PATTERNS:
            exact = pattern.match(found)
            if exact is None:
                continue
            prefix = exact.group(1)
            if kind != "a private key" and len(set(found[len(prefix) :])) < _MIN_DISTINCT:
                break
            line = text.count("\n", 0, match.start()) + 1
            problems.append(
                Problem(
                    path,
                    line,
                    f"{kind} in the text ({mask(found, prefix)})",
                    "remove it and revoke the key; prompts are committed, keys belong in the environment",
                )
            )
            break
    return problems


def mask(secret: str, prefix: str) -> str:
    """The identifying prefix and the last 4 characters, never the secret itself.

    >>> mask("sk-proj-abcdefghijklmnopqrstuvwxyz1234", "sk-proj-")
    'sk-proj-****1234'
    """
    if secret == prefix:  # a private key header names the kind, not the key
        return prefix
    return f"{prefix}****{secret[-4:]}"


def nfc_problems(text: str, path: str) -> list[Problem]:
    if unicodedata.is_normalized("NFC", text):
        return []
    problems = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not unicodedata.is_normalized("NFC", line):
            composed = unicodedata.normalize("NFC", line)
            sample = next(
                (c for c in composed if c not in line), composed[:1]
            )  # a character NFC composes
            problems.append(
                Problem(
                    path,
                    number,
                    f"text is not Unicode NFC (e.g. {sample!r} is written as decomposed characters)",
                    "normalise the file to NFC; the same-looking text would otherwise hash and tokenize differently",
                )
            )
    return problems


def invisible_problems(text: str, path: str) -> list[Problem]:
    if INVISIBLE.search(text) is None:
        return []
    problems = []
    for number, line in enumerate(text.split("\n"), start=1):
        found: list[str] = []
        for match in INVISIBLE.finditer(line):
            char, at = match.group(0), match.start()
            if not _allowed(line, at) and char not in found:
                found.append(char)
        if found:
            names = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'TAG')}" for c in found)
            kind = "bidi control" if any(c in _BIDI for c in found) else "invisible"
            problems.append(
                Problem(
                    path,
                    number,
                    f"{kind} character in the text: {names}",
                    "delete it: the text would read differently from what is sent",
                )
            )
    return problems


def _allowed(line: str, at: int) -> bool:
    """Joiners inside emoji and scripts that need them, and tags inside a flag emoji."""
    char = line[at]
    before = line[at - 1] if at else ""
    after = line[at + 1] if at + 1 < len(line) else ""
    if char == _ZWJ:
        return bool(before) and (
            (ord(before) >= 0x2600 and not before.isalpha()) or before == "\ufe0f"
        )
    if char == _ZWNJ:
        return bool(before and after) and all(
            not c.isascii() and unicodedata.category(c)[0] in "LM" for c in (before, after)
        )
    if 0xE0000 <= ord(char) <= 0xE007F:
        start = at
        while start and 0xE0000 <= ord(line[start - 1]) <= 0xE007F:
            start -= 1
        return start > 0 and line[start - 1] == _BLACK_FLAG
    return False
