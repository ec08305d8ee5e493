"""Canonical JSON (RFC 8785) and the content SHA scheme `pv1`.

The SHA hashes exactly what is sent to a provider plus the variable declarations; see
docs/sha-scheme.md for the full definition and test vectors.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

SCHEME = "pv1"
_MAX_SAFE_INT = 2**53 - 1


class CanonicalError(ValueError):
    """A value that has no canonical JSON form (NaN, infinity, huge integers, non-JSON types)."""


def canonical_json(value: Any) -> str:
    """Serialise `value` per RFC 8785 (JSON Canonicalization Scheme).

    >>> canonical_json({"b": 1.0, "a": [True, None, "é"]})
    '{"a":[true,null,"é"],"b":1}'
    """
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int):
        if abs(value) > _MAX_SAFE_INT:
            raise CanonicalError(f"integer {value} is outside the exact range of JSON numbers")
        out.append(str(value))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, dict):
        out.append("{")
        # RFC 8785 orders keys by their UTF-16 code units, not by code points.
        for i, key in enumerate(sorted(value, key=lambda k: str(k).encode("utf-16-be"))):
            if not isinstance(key, str):
                raise CanonicalError(f"object key {key!r} is not a string")
            if i:
                out.append(",")
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _write(value[key], out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise CanonicalError(f"{type(value).__name__} has no JSON form")


def _number(value: float) -> str:
    """ECMAScript Number.prototype.toString, which RFC 8785 prescribes."""
    if not math.isfinite(value):
        raise CanonicalError(f"{value} has no JSON form")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    text, _, exponent = repr(abs(value)).partition("e")
    whole, _, frac = text.partition(".")
    # Shortest round-trip digits (what repr gives) and the decimal point position n, as in
    # ECMA-262: value = 0.<digits> * 10**n.
    digits = whole + frac
    point = len(whole) + (int(exponent) if exponent else 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    mantissa = stripped.rstrip("0")
    k, n = len(mantissa), point
    if k <= n <= 21:
        return sign + mantissa + "0" * (n - k)
    if 0 < n <= 21:
        return sign + mantissa[:n] + "." + mantissa[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + mantissa
    exp = n - 1
    exp_text = f"e+{exp}" if exp >= 0 else f"e-{-exp}"
    if k == 1:
        return sign + mantissa + exp_text
    return sign + mantissa[0] + "." + mantissa[1:] + exp_text


def content_sha(payload: dict[str, Any]) -> str:
    """`sha256:<hex>` of the canonical payload, tagged with the scheme name."""
    document = {"scheme": SCHEME, **payload}
    digest = hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()
    return f"sha256:{digest}"


def short(sha: str) -> str:
    """The 12-hex-digit form shown to people."""
    return sha.removeprefix("sha256:")[:12]
