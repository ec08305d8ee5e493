"""The one strict YAML loader: no other module calls PyYAML to read.

Safe loading only, one document, and the YAML features that make files surprising are
errors: duplicate keys, tags, anchors and aliases, non-string keys, and the values YAML 1.1
silently converts (`no` -> False, `0755` -> 493, `2026-01-01` -> a date, `1:30` -> 90).
Errors carry `file:line` of the offending node.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from promptship.errors import PromptshipError, where

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_scalars = yaml.constructor.SafeConstructor()

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"

# YAML 1.2 (and JSON) read these the same way YAML 1.1 does; anything else that resolves to
# a bool or a number is a 1.1 surprise.
_PLAIN_BOOL = {"true", "false", "True", "False", "TRUE", "FALSE"}
_PLAIN_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
# `1e3` is a number in YAML 1.2 and JSON but a string in YAML 1.1.
_YAML12_NUMBER = re.compile(r"[-+]?[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]+")
_PLAIN_FLOAT = re.compile(
    r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"
)


Lines = dict[tuple[str | int, ...], int]


def load(text: str, path: str, *, first_line: int = 1, lines: Lines | None = None) -> Any:
    """Parse one YAML document from `text` strictly; `first_line` is the line of `text` in `path`.

    If `lines` is given it is filled with the 1-based line of every value, keyed by its path
    (`("cases", 3, "vars")`), so callers can point errors at the right line.
    """
    offset = first_line - 1
    if "!" in text or "&" in text or "*" in text:
        _reject_tags_and_anchors(text, path, offset)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + offset if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise PromptshipError(
            f"invalid YAML: {problem}", where=where(path, line), fix="fix the YAML syntax"
        ) from None
    except yaml.YAMLError as exc:
        raise PromptshipError(
            f"invalid YAML: {exc}", where=path, fix="fix the YAML syntax"
        ) from None
    if node is None:
        return None
    return _construct(node, path, offset, (), lines)


def line_of(node: yaml.Node, offset: int) -> int:
    return int(node.start_mark.line) + 1 + offset


def _reject_tags_and_anchors(text: str, path: str, offset: int) -> None:
    try:
        for token in yaml.scan(text, Loader=_Loader):
            kind = None
            if isinstance(token, yaml.TagToken):
                kind = "tags (!...)"
            elif isinstance(token, yaml.AnchorToken | yaml.AliasToken):
                kind = "anchors and aliases (&, *)"
            if kind:
                raise PromptshipError(
                    f"YAML {kind} are not allowed",
                    where=where(path, token.start_mark.line + 1 + offset),
                    fix="write the value out in full; quote it if it is text",
                )
    except yaml.MarkedYAMLError:
        return  # compose() reports the syntax error with its position


def _construct(
    node: yaml.Node, path: str, offset: int, at: tuple[str | int, ...], lines: Lines | None
) -> Any:
    if lines is not None:
        lines[at] = line_of(node, offset)
    if isinstance(node, yaml.MappingNode):
        if node.tag != _MAP:
            raise _unsupported(node, path, offset)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR:
                raise PromptshipError(
                    "mapping keys must be strings",
                    where=where(path, line_of(key_node, offset)),
                    fix="quote the key",
                )
            key = key_node.value
            if key in result:
                raise PromptshipError(
                    f"duplicate key {key!r}",
                    where=where(path, line_of(key_node, offset)),
                    fix="remove one of the two entries",
                )
            result[key] = _construct(value_node, path, offset, (*at, key), lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ:
            raise _unsupported(node, path, offset)
        return [
            _construct(item, path, offset, (*at, i), lines) for i, item in enumerate(node.value)
        ]
    assert isinstance(node, yaml.ScalarNode)
    tag = node.tag
    if not node.style:  # plain scalars are the ones YAML resolves implicitly
        _reject_yaml11_surprise(node, path, offset)
    if tag == _STR:
        return node.value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return _scalars.construct_yaml_bool(node)
    if tag == _INT:
        return _scalars.construct_yaml_int(node)
    if tag == _FLOAT:
        return _scalars.construct_yaml_float(node)
    raise _unsupported(node, path, offset)


def _reject_yaml11_surprise(node: yaml.ScalarNode, path: str, offset: int) -> None:
    text = node.value
    tag = node.tag
    surprise = (
        (tag == _BOOL and text not in _PLAIN_BOOL)
        or (tag == _INT and not _PLAIN_INT.fullmatch(text))
        or (tag == _FLOAT and not _PLAIN_FLOAT.fullmatch(text))
        or tag == "tag:yaml.org,2002:timestamp"
        or (tag == _STR and _YAML12_NUMBER.fullmatch(text) is not None)
    )
    if surprise:
        meanings = {_BOOL: "a boolean", _INT: "a number", _FLOAT: "a number", _STR: "text"}
        meaning = meanings.get(tag, "a date")
        fix = f'quote it ("{text}") if you mean text'
        if tag == _STR:
            number = re.sub(r"^([-+]?[0-9]+)(\.[0-9]*)?[eE]([-+]?)", _yaml11_float, text)
            fix = f'quote it ("{text}") for text, or write {number} for a number'
        elif tag == _BOOL:
            fix = f'write true or false, or quote it ("{text}") if you mean text'
        raise PromptshipError(
            f"YAML 1.1 reads {text!r} as {meaning}",
            where=where(path, line_of(node, offset)),
            fix=fix,
        )


def _yaml11_float(match: re.Match[str]) -> str:
    """`1e-3` -> `1.0e-3`: the same number, written so that YAML 1.1 reads a number too."""
    return f"{match[1]}{match[2] or '.0'}e{match[3] or '+'}"


def _unsupported(node: yaml.Node, path: str, offset: int) -> PromptshipError:
    kind = node.tag.rsplit(":", 1)[-1]
    return PromptshipError(
        f"unsupported YAML value of type {kind!r}",
        where=where(path, line_of(node, offset)),
        fix="use plain strings, numbers, booleans, lists and mappings",
    )
