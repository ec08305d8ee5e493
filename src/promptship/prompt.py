"""One prompt version: parsed from `vN.md` (front matter + role markers) or `vN.yaml`.

Both forms become the same `PromptVersion`, and its content SHA covers only what is sent
(messages, model, params, variable declarations, output spec), never the file format or
the documentation-only keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from promptship import sha as sha_scheme
from promptship import strict_yaml
from promptship.errors import PromptshipError, where

if TYPE_CHECKING:
    import jinja2

ROLES = ("system", "user", "assistant")
MAX_FILE_BYTES = 1_000_000
SENT_KEYS = ("model", "params", "variables", "output")
DOC_KEYS = ("description", "tags")
MD_KEYS = frozenset((*SENT_KEYS, *DOC_KEYS))
YAML_KEYS = MD_KEYS | {"messages"}
VARIABLE_KEYS = frozenset(("required", "default", "description"))
OUTPUT_FORMATS = ("text", "json")
MODEL_RE = re.compile(r"[a-z0-9_-]+/\S+")
IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MARKERS = {f"{role}:": role for role in ROLES}


@dataclass(frozen=True)
class Message:
    role: str
    content: str  # normalised template text: exactly what is hashed and rendered
    line: int  # line of the first content line in the source file


@dataclass(frozen=True)
class Variable:
    name: str
    required: bool
    default: str | int | float | bool | None
    description: str | None = None
    line: int | None = None

    @property
    def default_type(self) -> str | None:
        """The default's JSON type, hashed with it: `1` and `1.0` are equal JSON numbers
        but Jinja renders them differently, and `"1"` compares differently from `1`."""
        if self.default is None:
            return None
        if isinstance(self.default, bool):
            return "boolean"
        if isinstance(self.default, int):
            return "integer"
        if isinstance(self.default, float):
            return "float"
        return "string"


@dataclass(frozen=True)
class PromptVersion:
    name: str
    version: int
    path: str
    format: str  # "md" or "yaml"
    model: str
    params: dict[str, Any]
    variables: dict[str, Variable]
    output: dict[str, Any]
    messages: tuple[Message, ...]
    description: str | None = None
    tags: tuple[str, ...] = ()
    key_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def label(self) -> str:
        return f"v{self.version}"

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.label}"

    def payload(self) -> dict[str, Any]:
        """The canonical content the SHA covers (see docs/sha-scheme.md)."""
        return {
            "model": self.model,
            "params": self.params,
            "variables": {
                v.name: {"required": v.required, "default": v.default, "type": v.default_type}
                for v in self.variables.values()
            },
            "output": self.output,
            "messages": [{"role": m.role, "content": m.content} for m in self.messages],
        }

    def config(self) -> dict[str, Any]:
        """Everything but the messages, as plain data (documentation keys included)."""
        return {
            "model": self.model,
            "params": self.params,
            "variables": {
                v.name: {"required": v.required, "default": v.default, "description": v.description}
                for v in self.variables.values()
            },
            "output": self.output,
            "description": self.description,
            "tags": list(self.tags),
        }

    @cached_property
    def sha(self) -> str:
        try:
            return sha_scheme.content_sha(self.payload())
        except sha_scheme.CanonicalError as exc:
            raise PromptshipError(
                f"cannot hash this prompt: {exc}",
                where=self.path,
                fix="use plain JSON values in params and defaults",
            ) from None

    @cached_property
    def _templates(self) -> tuple[jinja2.Template, ...]:
        from promptship import template

        return tuple(
            template.compile_template(m.content, path=self.path, first_line=m.line)
            for m in self.messages
        )

    def used_variables(self) -> dict[str, int]:
        """Each variable the templates read, with the line of the first message using it."""
        from promptship import template

        used: dict[str, int] = {}
        for m in self.messages:
            for name in template.variables_used(m.content, path=self.path, first_line=m.line):
                used.setdefault(name, m.line)
        return used

    def render(self, values: dict[str, Any]) -> list[dict[str, str]]:
        """The messages exactly as they would be sent, for these variable values."""
        from promptship import template

        unknown = sorted(set(values) - set(self.variables))
        if unknown:
            raise PromptshipError(
                f"unknown variable {unknown[0]!r} for {self.ref}",
                fix=f"declared variables: {', '.join(self.variables) or 'none'}",
            )
        context: dict[str, Any] = {}
        for var in self.variables.values():
            if var.name in values:
                context[var.name] = values[var.name]
            elif var.required:
                raise PromptshipError(
                    f"missing required variable {var.name!r} for {self.ref}",
                    fix=f"pass --var {var.name}=VALUE",
                )
            else:
                context[var.name] = "" if var.default is None else var.default
        return [
            {"role": m.role, "content": template.render(t, context, path=self.path, line=m.line)}
            for m, t in zip(self.messages, self._templates, strict=True)
        ]


def normalize_text(text: str) -> str:
    """LF line ends, no trailing spaces/tabs, no leading or trailing blank lines.

    >>> normalize_text("\\n  hi \\r\\nthere\\t\\n\\n")
    '  hi\\nthere'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip(" \t") for line in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def decode(data: bytes, path: str) -> str:
    """Bytes of a text file -> str with LF line ends and no BOM, or a clear error."""
    if len(data) > MAX_FILE_BYTES:
        raise PromptshipError(
            f"file is too large ({len(data) / 1e6:.1f} MB; the limit is 1 MB)",
            where=path,
            fix="prompt files are text; move large data out of the prompt",
        )
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise PromptshipError(
            "file is UTF-16 (it starts with a UTF-16 byte order mark)",
            where=path,
            fix="save the file as UTF-8",
        )
    if b"\0" in data:
        raise PromptshipError(
            "binary file (contains NUL bytes)", where=path, fix="prompt files must be UTF-8 text"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PromptshipError(
            f"invalid UTF-8 (byte 0x{data[exc.start]:02x})",
            where=where(path, line),
            fix="save the file as UTF-8",
        ) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def parse_prompt(data: bytes, *, path: str, name: str, version: int) -> PromptVersion:
    """Parse one version file; `path` is used in messages, its suffix picks the form."""
    text = decode(data, path)
    if not text.strip():
        raise PromptshipError("empty prompt file", where=path, fix="add front matter and messages")
    lines: strict_yaml.Lines = {}
    if path.endswith(".md"):
        meta, body, body_line = _split_front_matter(text, path)
        front = _load_mapping(meta, path, 2, lines)
        _reject_unknown_keys(front, MD_KEYS, path, lines, hint="messages go in the body")
        messages = _split_body(body, path, body_line)
        fmt = "md"
    else:
        front = _load_mapping(text, path, 1, lines)
        _reject_unknown_keys(front, YAML_KEYS, path, lines)
        messages = _yaml_messages(front.get("messages"), path, lines)
        fmt = "yaml"
    key_lines = {str(k[0]): n for k, n in lines.items() if len(k) == 1}
    return PromptVersion(
        name=name,
        version=version,
        path=path,
        format=fmt,
        model=_model(front, path, lines),
        params=_params(front, path, lines),
        variables=_variables(front, path, lines),
        output=_output(front, path, lines),
        messages=messages,
        description=_optional_str(front, "description", path, lines),
        tags=_tags(front, path, lines),
        key_lines=key_lines,
    )


def _split_front_matter(text: str, path: str) -> tuple[str, str, int]:
    if not text.startswith("---\n"):
        raise PromptshipError(
            "missing front matter",
            where=where(path, 1),
            fix="start the file with a '---' line, the YAML keys, and another '---' line",
        )
    end = text.find("\n---\n", 3)
    if end == -1 and text.endswith("\n---"):
        end = len(text) - 4
    if end == -1:
        raise PromptshipError(
            "front matter is not closed",
            where=where(path, 1),
            fix="end the front matter with a line that is exactly '---'",
        )
    meta = text[4 : end + 1]
    body_line = text.count("\n", 0, end + 5) + 1
    return meta, text[end + 5 :], body_line


def _load_mapping(
    text: str, path: str, first_line: int, lines: strict_yaml.Lines
) -> dict[str, Any]:
    data = strict_yaml.load(text, path, first_line=first_line, lines=lines)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PromptshipError(
            f"expected a mapping of keys, got {_kind(data)}",
            where=where(path, first_line),
            fix="write 'model: provider/name' and the other keys",
        )
    return data


def _reject_unknown_keys(
    data: dict[str, Any],
    allowed: frozenset[str],
    path: str,
    lines: strict_yaml.Lines,
    *,
    at: tuple[str | int, ...] = (),
    hint: str | None = None,
) -> None:
    import difflib

    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            fix = (
                f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(sorted(allowed))}"
            )
            if key == "messages" and hint:
                fix = hint
            raise PromptshipError(
                f"unknown key {key!r}", where=where(path, lines.get((*at, key))), fix=fix
            )


def _split_body(body: str, path: str, body_line: int) -> tuple[Message, ...]:
    chunks: list[tuple[str, int, list[str]]] = [("system", body_line, [])]
    for offset, line in enumerate(body.split("\n")):
        role = _MARKERS.get(line.rstrip(" \t"))
        if role:
            chunks.append((role, body_line + offset, []))
        else:
            chunks[-1][2].append(line)
    messages = []
    for i, (role, marker_line, content) in enumerate(chunks):
        text = "\n".join(content)
        if i == 0 and not text.strip():
            continue  # no text before the first marker
        normalized = normalize_text(text)
        first = marker_line + (0 if i == 0 else 1)
        if not normalized:
            raise PromptshipError(
                f"empty {role} message",
                where=where(path, marker_line),
                fix="write the message text under the marker, or remove the marker",
            )
        leading = len(text) - len(text.lstrip("\n \t\r"))
        first += text.count("\n", 0, leading)
        messages.append(Message(role, normalized, first))
    if not messages:
        raise PromptshipError(
            "no messages after the front matter",
            where=where(path, body_line),
            fix="add the prompt text, with 'system:' / 'user:' marker lines",
        )
    return tuple(messages)


def _yaml_messages(raw: Any, path: str, lines: strict_yaml.Lines) -> tuple[Message, ...]:
    if raw is None:
        raise PromptshipError(
            "missing 'messages'",
            where=path,
            fix="add 'messages: [{role: system, content: ...}, {role: user, content: ...}]'",
        )
    if not isinstance(raw, list) or not raw:
        raise PromptshipError(
            "'messages' must be a non-empty list",
            where=where(path, lines.get(("messages",))),
            fix="each item is {role: system|user|assistant, content: text}",
        )
    messages = []
    for i, item in enumerate(raw):
        at: tuple[str | int, ...] = ("messages", i)
        line = lines.get(at)
        if not isinstance(item, dict):
            raise PromptshipError(
                f"message {i + 1} must be a mapping, got {_kind(item)}",
                where=where(path, line),
                fix="write {role: user, content: ...}",
            )
        _reject_unknown_keys(item, frozenset(("role", "content")), path, lines, at=at)
        role = item.get("role")
        if role not in ROLES:
            raise PromptshipError(
                f"unknown role {role!r}" if role is not None else f"message {i + 1} has no role",
                where=where(path, lines.get((*at, "role"), line)),
                fix="role is one of system, user, assistant",
            )
        content = item.get("content")
        if not isinstance(content, str) or not normalize_text(content):
            raise PromptshipError(
                f"message {i + 1} ({role}) needs non-empty text 'content'",
                where=where(path, lines.get((*at, "content"), line)),
                fix="quote the content or use a '|' block",
            )
        content_line = lines.get((*at, "content"), line) or 1
        messages.append(Message(role, normalize_text(content), content_line))
    return tuple(messages)


def _model(front: dict[str, Any], path: str, lines: strict_yaml.Lines) -> str:
    model = front.get("model")
    if model is None:
        raise PromptshipError(
            "missing 'model'",
            where=where(path, 2),
            fix="add 'model: provider/name', e.g. openai/gpt-4o",
        )
    if not isinstance(model, str) or not MODEL_RE.fullmatch(model):
        raise PromptshipError(
            f"model must look like 'provider/name', got {model!r}",
            where=where(path, lines.get(("model",))),
            fix="e.g. openai/gpt-4o, anthropic/claude-sonnet-4-5, local/gemma3-270m",
        )
    return model


def _params(front: dict[str, Any], path: str, lines: strict_yaml.Lines) -> dict[str, Any]:
    params = front.get("params", {})
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise PromptshipError(
            f"'params' must be a mapping, got {_kind(params)}",
            where=where(path, lines.get(("params",))),
            fix="e.g. params: {temperature: 0}",
        )
    for key, value in params.items():
        try:
            sha_scheme.canonical_json(value)
        except sha_scheme.CanonicalError as exc:
            raise PromptshipError(
                f"param {key!r}: {exc}",
                where=where(path, lines.get(("params", key))),
                fix="use a finite number, text, boolean, list or mapping",
            ) from None
    return params


def _variables(front: dict[str, Any], path: str, lines: strict_yaml.Lines) -> dict[str, Variable]:
    raw = front.get("variables", {})
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise PromptshipError(
            f"'variables' must be a mapping, got {_kind(raw)}",
            where=where(path, lines.get(("variables",))),
            fix="e.g. variables: {ticket_text: {required: true}}",
        )
    result: dict[str, Variable] = {}
    for name, spec in raw.items():
        at: tuple[str | int, ...] = ("variables", name)
        line = lines.get(at)
        if not IDENTIFIER_RE.fullmatch(name):
            raise PromptshipError(
                f"invalid variable name {name!r}",
                where=where(path, line),
                fix="use letters, digits and '_', not starting with a digit",
            )
        spec = {} if spec is None else spec
        if not isinstance(spec, dict):
            raise PromptshipError(
                f"variable {name!r} must be a mapping, got {_kind(spec)}",
                where=where(path, line),
                fix="e.g. {required: true} or {default: email}",
            )
        _reject_unknown_keys(spec, VARIABLE_KEYS, path, lines, at=at)
        has_default = "default" in spec
        default = spec.get("default")
        if has_default and not isinstance(default, str | int | float | bool):
            raise PromptshipError(
                f"default of {name!r} must be text, a number or a boolean, got {_kind(default)}",
                where=where(path, lines.get((*at, "default"), line)),
                fix="quote the default",
            )
        required = spec.get("required", not has_default)
        if not isinstance(required, bool):
            raise PromptshipError(
                f"'required' of {name!r} must be true or false, got {required!r}",
                where=where(path, lines.get((*at, "required"), line)),
                fix="write true or false",
            )
        if required and has_default:
            raise PromptshipError(
                f"variable {name!r} is required and has a default",
                where=where(path, line),
                fix="drop 'required: true' or drop the default",
            )
        description = spec.get("description")
        if description is not None and not isinstance(description, str):
            raise PromptshipError(
                f"description of {name!r} must be text", where=where(path, line), fix="quote it"
            )
        result[name] = Variable(name, required, default, description, line)
    return result


def _output(front: dict[str, Any], path: str, lines: strict_yaml.Lines) -> dict[str, Any]:
    raw = front.get("output")
    if raw is None:
        return {"format": "text"}
    line = lines.get(("output",))
    if not isinstance(raw, dict):
        raise PromptshipError(
            f"'output' must be a mapping, got {_kind(raw)}",
            where=where(path, line),
            fix="e.g. output: {format: json, schema: {...}}",
        )
    _reject_unknown_keys(raw, frozenset(("format", "schema")), path, lines, at=("output",))
    fmt = raw.get("format", "text")
    if fmt not in OUTPUT_FORMATS:
        raise PromptshipError(
            f"unknown output format {fmt!r}",
            where=where(path, lines.get(("output", "format"), line)),
            fix="format is text or json",
        )
    result: dict[str, Any] = {"format": fmt}
    if "schema" in raw:
        schema = raw["schema"]
        if fmt != "json" or not isinstance(schema, dict):
            raise PromptshipError(
                "'schema' must be a JSON Schema mapping, with format: json",
                where=where(path, lines.get(("output", "schema"), line)),
                fix="set format: json and write the schema as a mapping",
            )
        result["schema"] = schema
    return result


def _optional_str(
    front: dict[str, Any], key: str, path: str, lines: strict_yaml.Lines
) -> str | None:
    value = front.get(key)
    if value is not None and not isinstance(value, str):
        raise PromptshipError(
            f"{key!r} must be text, got {_kind(value)}",
            where=where(path, lines.get((key,))),
            fix="quote it",
        )
    return value


def _tags(front: dict[str, Any], path: str, lines: strict_yaml.Lines) -> tuple[str, ...]:
    tags = front.get("tags", [])
    if tags is None:
        return ()
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise PromptshipError(
            "'tags' must be a list of text",
            where=where(path, lines.get(("tags",))),
            fix="e.g. tags: [support, routing]",
        )
    return tuple(tags)


def _kind(value: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "nothing",
    }.get(type(value), type(value).__name__)
