"""The text of `prompts.lock`: the pins as data, and their one deterministic YAML form.

`render` writes the YAML itself (every string double-quoted, keys sorted, two-space
indentation) so the same pins always give the same bytes; `parse` reads only through
`strict_yaml.load` and validates the structure, with `file:line` for every error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from typing import Any

from promptship import strict_yaml
from promptship.errors import PromptshipError, where
from promptship.names import NAME_RE, VERSION_RE
from promptship.sha import SCHEME

FORMAT_VERSION = 1
HEADER = (
    "# prompts.lock: which prompt version each environment serves.\n"
    "# Written by `promptship promote` and `promptship rollback`; do not edit by hand.\n"
)
SHA_RE = re.compile(r"sha256:[0-9a-f]{64}")
TIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
BROKEN_FIX = (
    "promptship never overwrites a broken lockfile: fix that line, "
    "or restore the file with `git checkout -- prompts.lock`"
)


@dataclass(frozen=True)
class Canary:
    """A second version served to `weight` percent of traffic next to the stable pin."""

    version: int
    sha256: str
    weight: int
    promoted_at: str
    promoted_by: str
    note: str | None = None
    evidence: str | None = None
    forced_reason: str | None = None


@dataclass(frozen=True)
class Pin:
    """What one environment serves for one prompt."""

    version: int
    sha256: str
    promoted_at: str
    promoted_by: str
    replaced: int | None = None
    note: str | None = None
    evidence: str | None = None
    forced_reason: str | None = None
    canary: Canary | None = None

    @property
    def label(self) -> str:
        return f"v{self.version}"


Pins = dict[str, dict[str, Pin]]  # environment -> prompt name -> pin
PIN_KEYS = frozenset(f.name for f in fields(Pin))
CANARY_KEYS = frozenset(f.name for f in fields(Canary))
_FIELDS = {cls: tuple(sorted(f.name for f in fields(cls))) for cls in (Pin, Canary)}
_TEXT_KEYS = ("promoted_by", "note", "evidence", "forced_reason")


# --- writing -------------------------------------------------------------------------------


def render(pins: Pins) -> str:
    """The lockfile text for `pins`: same pins, same bytes."""
    return render_raw(raw_data(pins))


def render_raw(raw: dict[str, Any]) -> str:
    """The lockfile text for `raw_data(pins)`."""
    out = [HEADER, f"format_version: {FORMAT_VERSION}\n", f"sha_scheme: {SCHEME}\n"]
    if not raw["environments"]:
        out.append("environments: {}\n")
        return "".join(out)
    out.append("environments:\n")
    for env, named in raw["environments"].items():
        out.append(f"  {_key(env)}:\n")
        for name, pin in named.items():
            out.append(f"    {_key(name)}:\n")
            _mapping(pin, 6, out)
    return "".join(out)


def raw_data(pins: Pins) -> dict[str, Any]:
    """`pins` as the plain data `strict_yaml.load` reads back from `render(pins)`."""
    return {
        "format_version": FORMAT_VERSION,
        "sha_scheme": SCHEME,
        "environments": {
            env: {name: to_data(pin) for name, pin in sorted(named.items())}
            for env, named in sorted(pins.items())
            if named
        },
    }


def to_data(value: Pin | Canary) -> dict[str, Any]:
    """A pin or canary as the lockfile stores it (versions as `vN` labels)."""
    data = {name: getattr(value, name) for name in _FIELDS[type(value)]}
    data["version"] = f"v{data['version']}"
    if isinstance(value, Pin):
        if data["replaced"] is not None:
            data["replaced"] = f"v{data['replaced']}"
        if data["canary"] is not None:
            data["canary"] = to_data(data["canary"])
    return data


def _mapping(data: dict[str, Any], indent: int, out: list[str]) -> None:
    """Write `data` (from `to_data`, so its keys are already sorted) as a block mapping."""
    pad = " " * indent
    for key, value in data.items():
        if type(value) is str:
            out.append(f"{pad}{key}: {_quote(value)}\n")
        elif isinstance(value, dict):
            out.append(f"{pad}{key}:\n")
            _mapping(value, indent + 2, out)
        else:
            out.append(f"{pad}{key}: {_scalar(value)}\n")


# Plain keys that YAML would read as something other than the same string.
_RESERVED = frozenset(("null", "true", "false", "yes", "no", "on", "off", "y", "n"))
_PLAIN_KEY = re.compile(r"[a-z_][a-z0-9_/-]*")
# Characters a YAML reader rejects or folds (C1 controls, NEL, line/paragraph separators,
# BOM, surrogates, non-characters): written as \u escapes so they survive a round trip.
_PLAIN_ASCII = re.compile(r"[ !#-\[\]-~]*")  # printable ASCII except quote and backslash
_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def _key(key: str) -> str:
    return key if _PLAIN_KEY.fullmatch(key) and key not in _RESERVED else _quote(key)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _quote(str(value))


def _quote(text: str) -> str:
    """A double-quoted YAML scalar: JSON string escapes are a subset of YAML's."""
    if _PLAIN_ASCII.fullmatch(text):
        return f'"{text}"'
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))


# --- reading -------------------------------------------------------------------------------


def parse(text: str, path: str) -> Pins:
    """Read and validate lockfile text; every error names `path:line` and the fix."""
    lines: strict_yaml.Lines = {}
    if not text.strip():
        raise PromptshipError("the lockfile is empty", where=path, fix=BROKEN_FIX)
    try:
        data = strict_yaml.load(text, path, lines=lines)
    except PromptshipError as exc:
        raise PromptshipError(exc.message, where=exc.where, fix=BROKEN_FIX) from None
    return from_data(data, path, lines)


def from_data(data: Any, path: str, lines: strict_yaml.Lines | None = None) -> Pins:
    """Validate the structure `strict_yaml.load` returned and build the pins."""
    lines = lines if lines is not None else {}

    def fail(at: tuple[str | int, ...], message: str) -> PromptshipError:
        return PromptshipError(message, where=where(path, lines.get(at)), fix=BROKEN_FIX)

    if not isinstance(data, dict):
        raise fail((), "the lockfile must be a mapping with format_version and environments")
    for key in data:
        if key not in ("format_version", "sha_scheme", "environments"):
            raise fail((key,), f"unknown top-level key {key!r}")
    fmt = data.get("format_version")
    if fmt != FORMAT_VERSION:
        raise PromptshipError(
            f"unknown lockfile format_version {fmt!r}; this promptship reads format {FORMAT_VERSION}",
            where=where(path, lines.get(("format_version",))),
            fix="upgrade promptship if a newer one wrote this file, otherwise restore it with "
            "`git checkout -- prompts.lock`",
        )
    if data.get("sha_scheme") != SCHEME:
        raise fail(
            ("sha_scheme",),
            f"unknown sha_scheme {data.get('sha_scheme')!r}; this promptship computes {SCHEME}",
        )
    envs = data.get("environments")
    if not isinstance(envs, dict):
        raise fail(("environments",), "environments must be a mapping of environment to pins")
    pins: Pins = {}
    for env, named in envs.items():
        at: tuple[str | int, ...] = ("environments", env)
        if not isinstance(named, dict):
            raise fail(at, f"environment {env!r} must map prompt names to pins")
        pins[env] = {}
        for name, raw in named.items():
            if not NAME_RE.fullmatch(name):
                raise fail((*at, name), f"invalid prompt name {name!r}")
            pins[env][name] = _pin(raw, (*at, name), fail)
    return pins


def from_trusted(raw: dict[str, Any]) -> Pins:
    """Pins from data `from_data` already validated (the parse cache); raises if it is not."""
    pins: Pins = {}
    for env, named in raw["environments"].items():
        pins[env] = {}
        for name, data in named.items():
            values = dict(data)
            values["version"] = int(values["version"][1:])
            if values["replaced"] is not None:
                values["replaced"] = int(values["replaced"][1:])
            if values["canary"] is not None:
                canary = dict(values["canary"])
                canary["version"] = int(canary["version"][1:])
                values["canary"] = Canary(**canary)
            pins[env][name] = Pin(**values)
    return pins


def _pin(raw: Any, at: tuple[str | int, ...], fail: Any) -> Pin:
    values = _fields(raw, at, PIN_KEYS, fail)
    if values["replaced"] is not None:
        values["replaced"] = _version(values["replaced"], (*at, "replaced"), fail)
    canary = values["canary"]
    if canary is not None:
        canary_values = _fields(canary, (*at, "canary"), CANARY_KEYS, fail)
        weight = canary_values["weight"]
        if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 99:
            raise fail((*at, "canary", "weight"), f"canary weight must be 1-99, got {weight!r}")
        values["canary"] = Canary(**canary_values)
        if values["canary"].version == values["version"]:
            raise fail((*at, "canary", "version"), "the canary is the same version as the pin")
    return Pin(**values)


def _fields(raw: Any, at: tuple[str | int, ...], keys: frozenset[str], fail: Any) -> dict[str, Any]:
    what = "canary" if "weight" in keys else "pin"
    if not isinstance(raw, dict):
        raise fail(at, f"a {what} must be a mapping of {', '.join(sorted(keys))}")
    unknown = sorted(set(raw) - keys)
    if unknown:
        raise fail((*at, unknown[0]), f"unknown {what} key {unknown[0]!r}")
    missing = sorted(keys - set(raw))
    if missing:
        raise fail(at, f"{what} is missing {', '.join(repr(m) for m in missing)}")
    values = dict(raw)
    values["version"] = _version(raw["version"], (*at, "version"), fail)
    if not isinstance(raw["sha256"], str) or not SHA_RE.fullmatch(raw["sha256"]):
        raise fail(
            (*at, "sha256"),
            f"sha256 must look like sha256:<64 lowercase hex>, got {raw['sha256']!r}",
        )
    if not isinstance(raw["promoted_at"], str) or not TIME_RE.fullmatch(raw["promoted_at"]):
        raise fail(
            (*at, "promoted_at"),
            f"promoted_at must be a UTC time like 2026-11-20T14:32:00Z, got {raw['promoted_at']!r}",
        )
    for key in _TEXT_KEYS:
        value = raw[key]
        if not (value is None and key != "promoted_by") and not isinstance(value, str):
            raise fail((*at, key), f"{key} must be text, got {value!r}")
    return values


def _version(value: Any, at: tuple[str | int, ...], fail: Any) -> int:
    if not isinstance(value, str) or not VERSION_RE.fullmatch(value):
        raise fail(at, f"a version must look like v2, got {value!r}")
    return int(value[1:])


def pin_line(lines: strict_yaml.Lines, env: str, name: str, key: str | None = None) -> int | None:
    at: tuple[str, ...] = ("environments", env, name)
    return lines.get((*at, key) if key else at)
