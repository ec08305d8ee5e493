"""The content SHA scheme `pv1`: pinned vectors (also in docs/sha-scheme.md), RFC 8785
canonical JSON, and properties: what must not change the SHA, and what must."""

import json
import random
import struct
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptship.prompt import PromptVersion, parse_prompt
from promptship.sha import SCHEME, CanonicalError, canonical_json, content_sha, short

DOC = (Path(__file__).resolve().parent.parent / "docs" / "sha-scheme.md").read_text("utf-8")

# --- pinned vectors --------------------------------------------------------------------------

MD_VECTOR = """\
---
model: openai/gpt-4o-mini
params: {temperature: 0, max_tokens: 8}
variables:
  ticket_text: {required: true, description: The customer's message}
  ticket_type: {default: email}
description: Routes support tickets to a team
tags: [support]
---
system:
Classify the ticket as billing, technical or other.
Ticket type: {{ ticket_type }}
user:
{{ ticket_text }}
"""
YAML_VECTOR = """\
# The same prompt as v1.md: key order, comments and documentation keys do not matter.
messages:
  - role: system
    content: |
      Classify the ticket as billing, technical or other.
      Ticket type: {{ ticket_type }}
  - role: user
    content: "{{ ticket_text }}"
variables:
  ticket_type: {default: email}
  ticket_text: {required: true}
params: {max_tokens: 8, temperature: 0}
model: openai/gpt-4o-mini
tags: [routing]
"""
TRIAGE_JSON = (
    '{"messages":[{"content":"Classify the ticket as billing, technical or other.\\n'
    'Ticket type: {{ ticket_type }}","role":"system"},{"content":"{{ ticket_text }}",'
    '"role":"user"}],"model":"openai/gpt-4o-mini","output":{"format":"text"},'
    '"params":{"max_tokens":8,"temperature":0},"scheme":"pv1","variables":{"ticket_text":'
    '{"default":null,"required":true,"type":null},"ticket_type":{"default":"email","required":false,"type":"string"}}}'
)
TRIAGE_SHA = "sha256:191f3384aeaa533219a8e97790735049638c7438395330098d01d017d27f1c49"

FLOATS_VECTOR = """\
model: anthropic/claude-sonnet-4-5
params:
  temperature: 0.0
  top_p: 1.0
  presence_penalty: -0.5
  frequency_penalty: 1.0e-7
  max_tokens: 1024
  stop: ["\\n\\n"]
variables:
  question: {required: true}
  strict: {default: false}
  budget: {default: 2.50}
output:
  format: json
  schema: {type: object, required: [answer], properties: {answer: {type: string}}}
messages:
  - role: user
    content: "{{ question }} (strict: {{ strict }}, budget: {{ budget }})"
"""
FLOATS_JSON = (
    '{"messages":[{"content":"{{ question }} (strict: {{ strict }}, budget: {{ budget }})",'
    '"role":"user"}],"model":"anthropic/claude-sonnet-4-5","output":{"format":"json",'
    '"schema":{"properties":{"answer":{"type":"string"}},"required":["answer"],'
    '"type":"object"}},"params":{"frequency_penalty":1e-7,"max_tokens":1024,'
    '"presence_penalty":-0.5,"stop":["\\n\\n"],"temperature":0,"top_p":1},"scheme":"pv1",'
    '"variables":{"budget":{"default":2.5,"required":false,"type":"float"},"question":{"default":null,'
    '"required":true,"type":null},"strict":{"default":false,"required":false,"type":"boolean"}}}'
)
FLOATS_SHA = "sha256:3f425a856021b5d5b86fea256d187c9fe29b2f2e2c895a5d16779d48560e2fc1"

UNICODE_VECTOR = """\
---
model: local/gemma3-270m
variables:
  nom: {default: "Zoë"}
---
Réponds en français, poliment — « merci » 🙂
Bonjour {{ nom }} ! 日本語も大丈夫です。
assistant:
D'accord.\tTab inside, "quotes" and a backslash \\ too.
"""
UNICODE_JSON = (
    '{"messages":[{"content":"Réponds en français, poliment — « merci » 🙂\\nBonjour '
    '{{ nom }} ! 日本語も大丈夫です。","role":"system"},{"content":"D\'accord.\\tTab inside, '
    '\\"quotes\\" and a backslash \\\\ too.","role":"assistant"}],"model":"local/gemma3-270m",'
    '"output":{"format":"text"},"params":{},"scheme":"pv1","variables":{"nom":'
    '{"default":"Zoë","required":false,"type":"string"}}}'
)
UNICODE_SHA = "sha256:3b64e51c04fad158183411a02a1b5314da429719b3602ecf8787bc657d1bc2d0"

VECTORS = [
    ("v1.md", MD_VECTOR, TRIAGE_JSON, TRIAGE_SHA),
    ("v1.yaml", YAML_VECTOR, TRIAGE_JSON, TRIAGE_SHA),
    ("v3.yaml", FLOATS_VECTOR, FLOATS_JSON, FLOATS_SHA),
    ("v4.md", UNICODE_VECTOR, UNICODE_JSON, UNICODE_SHA),
]


def parse(text: str | bytes, filename: str = "v1.md") -> PromptVersion:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_prompt(data, path=f"prompts/p/{filename}", name="p", version=1)


def document(version: PromptVersion) -> str:
    return canonical_json({"scheme": SCHEME, **version.payload()})


@pytest.mark.parametrize(("filename", "text", "canonical", "sha"), VECTORS)
def test_pinned_vectors(filename: str, text: str, canonical: str, sha: str) -> None:
    version = parse(text, filename)
    assert document(version) == canonical
    assert version.sha == sha
    assert content_sha(version.payload()) == sha


@pytest.mark.parametrize(("filename", "text", "canonical", "sha"), VECTORS)
def test_the_documentation_shows_the_same_vectors(
    filename: str, text: str, canonical: str, sha: str
) -> None:
    assert canonical in DOC and sha in DOC
    assert text.replace("\t", "<TAB>") in DOC


def test_short_form_is_twelve_hex_digits() -> None:
    assert short(TRIAGE_SHA) == "191f3384aeaa"


# --- RFC 8785 --------------------------------------------------------------------------------

# Appendix B of RFC 8785: IEEE 754 double (hex) -> canonical number.
RFC_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


def from_bits(bits: str) -> float:
    value: float = struct.unpack(">d", bytes.fromhex(bits))[0]
    return value


@pytest.mark.parametrize(("bits", "expected"), RFC_NUMBERS)
def test_rfc8785_numbers(bits: str, expected: str) -> None:
    assert canonical_json(from_bits(bits)) == expected


@pytest.mark.parametrize("bits", ["7ff0000000000000", "fff0000000000000", "7fffffffffffffff"])
def test_nan_and_infinity_have_no_canonical_form(bits: str) -> None:
    with pytest.raises(CanonicalError):
        canonical_json(from_bits(bits))


def test_rfc8785_main_example() -> None:
    # RFC 8785 section 3.2.2
    value = json.loads(
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    assert canonical_json(value) == (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )


def test_rfc8785_key_order_is_by_utf16_code_units() -> None:
    # RFC 8785 section 3.2.3: the emoji (a surrogate pair) sorts before U+FB33.
    keys = ["\u20ac", "\r", "\ufb33", "1", "\U0001f600", "\u0080", "\u00f6"]
    text = canonical_json({k: 0 for k in keys})
    order = [json.loads(text.replace(":0", ":null")).keys()]
    assert list(order[0]) == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_integers_beyond_2_53_are_refused() -> None:
    assert canonical_json(2**53 - 1) == "9007199254740991"
    with pytest.raises(CanonicalError):
        canonical_json(2**53)


# --- properties ------------------------------------------------------------------------------

TEXT = st.characters(whitelist_categories=["L", "N", "P", "S", "Zs"], blacklist_characters="\u00a0")
LINE = st.text(TEXT, min_size=1, max_size=30).filter(
    lambda s: s.strip() and s.strip(" \t") not in ("system:", "user:", "assistant:", "---")
)
NAME = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
SCALAR = st.one_of(
    st.integers(-(2**53) + 1, 2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.booleans(),
    st.text(TEXT, max_size=10),
)


@dataclass
class Spec:
    """A prompt version as data, written out as either file form."""

    model: str
    params: dict[str, Any]
    variables: dict[str, dict[str, Any]]
    output: dict[str, Any]
    messages: list[tuple[str, str]]
    docs: dict[str, Any] = field(default_factory=dict)

    def front(self) -> dict[str, Any]:
        keys: dict[str, Any] = {"model": self.model, "params": self.params}
        keys.update(variables=self.variables, output=self.output, **self.docs)
        return keys

    def markdown(self, order: list[str] | None = None) -> str:
        front = self.front()
        lines = [f"{k}: {flow(front[k])}" for k in order or list(front)]
        body = [f"{role}:\n{content}" for role, content in self.messages]
        return "---\n" + "\n".join(lines) + "\n---\n" + "\n".join(body) + "\n"

    def yaml(self) -> str:
        front = {**self.front(), "messages": [{"role": r, "content": c} for r, c in self.messages]}
        return "".join(f"{k}: {flow(v)}\n" for k, v in front.items())


def flow(value: Any) -> str:
    """YAML flow style that strict_yaml reads back as exactly `value`."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        text = repr(value)
        mantissa, e, exponent = text.partition("e")
        if e and "." not in mantissa:
            text = f"{mantissa}.0e{exponent}"  # YAML 1.1 needs a dot to read a number
        return text
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    names = draw(st.lists(NAME, unique=True, max_size=3))
    variables: dict[str, dict[str, Any]] = {}
    for name in names:
        if draw(st.booleans()):
            variables[name] = {"required": True}
        else:
            variables[name] = {"default": draw(SCALAR)}
    params = draw(st.dictionaries(NAME, SCALAR, max_size=3))
    roles = st.sampled_from(["system", "user", "assistant"])
    messages = draw(
        st.lists(
            st.tuples(roles, st.lists(LINE, min_size=1, max_size=3).map("\n".join)),
            min_size=1,
            max_size=3,
        )
    )
    uses = " ".join(f"{{{{ {n} }}}}" for n in names)
    if uses:
        role, content = messages[-1]
        messages[-1] = (role, f"{content}\n{uses}")
    output = draw(st.sampled_from([{"format": "text"}, {"format": "json"}]))
    model = draw(
        st.from_regex(r"(openai|anthropic|local)/[a-z0-9][a-z0-9.-]{0,10}", fullmatch=True)
    )
    return Spec(model, params, variables, output, messages)


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(specs())
def test_markdown_and_yaml_forms_hash_alike(spec: Spec) -> None:
    assert parse(spec.markdown()).sha == parse(spec.yaml(), "v1.yaml").sha


@PROPERTY
@given(specs(), st.randoms(use_true_random=False))
def test_layout_does_not_change_the_sha(spec: Spec, rng: random.Random) -> None:
    base = parse(spec.markdown()).sha
    keys = list(spec.front())
    rng.shuffle(keys)
    reordered = spec.markdown(keys)
    assert parse(reordered).sha == base, "key order"
    assert parse(reordered.replace("\n", "\r\n")).sha == base, "CRLF"
    assert parse("\ufeff" + reordered).sha == base, "BOM"
    padded = spec.markdown().replace("\n", " \t \n").replace("--- \t \n", "---\n")
    assert parse(padded).sha == base, "trailing whitespace"
    blank = replace(spec, messages=[(r, f"\n\n{c}\n \n") for r, c in spec.messages])
    assert parse(blank.markdown()).sha == base, "leading and trailing blank lines"
    documented = replace(spec, docs={"description": "Documented.", "tags": ["a", "b"]})
    assert parse(documented.markdown()).sha == base, "description and tags"
    assert parse(documented.yaml(), "v1.yaml").sha == base, "the .yaml form"


@PROPERTY
@given(specs(), st.data())
def test_any_change_to_what_is_sent_changes_the_sha(spec: Spec, data: st.DataObject) -> None:
    base = parse(spec.markdown()).sha
    index = data.draw(st.integers(0, len(spec.messages) - 1))
    role, content = spec.messages[index]
    changes: dict[str, Spec] = {
        "message text": replace(spec, messages=edit(spec.messages, index, (role, content + "!"))),
        "role": replace(spec, messages=edit(spec.messages, index, (other_role(role), content))),
        "model": replace(spec, model=spec.model + "x"),
        "param added": replace(spec, params={**spec.params, "zz_extra": 1}),
        "output": replace(
            spec, output={"format": "text" if spec.output["format"] == "json" else "json"}
        ),
        "variable added": replace(
            spec,
            variables={**spec.variables, "zz_new": {"default": "x"}},
            messages=edit(spec.messages, index, (role, content + " {{ zz_new }}")),
        ),
    }
    if len(spec.messages) > 1:
        changes["message order"] = replace(spec, messages=spec.messages[::-1])
    if spec.params:
        key = next(iter(spec.params))
        changes["param value"] = replace(spec, params={**spec.params, key: "changed!"})
    if spec.variables:
        name = next(iter(spec.variables))
        declared = spec.variables[name]
        flipped = {"default": "x"} if "required" in declared else {"required": True}
        changes["variable required/default"] = replace(
            spec, variables={**spec.variables, name: flipped}
        )
        if "default" in declared:
            changes["variable default"] = replace(
                spec, variables={**spec.variables, name: {"default": "other default!"}}
            )
        renamed = {("zz_" + k if k == name else k): v for k, v in spec.variables.items()}
        changes["variable name"] = replace(
            spec,
            variables=renamed,
            messages=[
                (r, c.replace(f"{{{{ {name} }}}}", f"{{{{ zz_{name} }}}}"))
                for r, c in spec.messages
            ],
        )
    for label, changed in changes.items():
        if label == "message order" and spec.messages == spec.messages[::-1]:
            continue
        assert parse(changed.markdown()).sha != base, label


def test_output_schema_changes_the_sha() -> None:
    base = parse(FLOATS_VECTOR, "v3.yaml").sha
    changed = FLOATS_VECTOR.replace("required: [answer]", "required: []")
    assert parse(changed, "v3.yaml").sha != base


def edit(
    messages: list[tuple[str, str]], index: int, new: tuple[str, str]
) -> list[tuple[str, str]]:
    return [new if i == index else m for i, m in enumerate(messages)]


def other_role(role: str) -> str:
    return {"system": "user", "user": "assistant", "assistant": "system"}[role]


def test_a_defaults_type_is_hashed_because_it_changes_what_is_rendered() -> None:
    def with_default(default: str) -> PromptVersion:
        return parse(
            f"---\nmodel: openai/x\nvariables:\n  n: {{default: {default}}}\n---\n{{{{ n }}}}\n"
        )

    versions = [with_default(d) for d in ("1", "1.0", '"1"')]
    assert len({v.sha for v in versions}) == 3
    assert [v.render({})[0]["content"] for v in versions] == ["1", "1.0", "1"]
