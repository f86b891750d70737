"""Byte-exact encodings that signatures and digests rest on.

- JSON Canonicalization Scheme (RFC 8785, "JCS"): one byte string per JSON value, so a
  signature does not depend on key order, whitespace or how a number was typed.
- base58btc and multibase (the ``z`` prefix), the encodings of ``did:key`` identifiers and
  of Data Integrity proof values.
"""

from __future__ import annotations

import hashlib
import json
import math
from json.encoder import encode_basestring

_BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX = {c: i for i, c in enumerate(_BASE58_ALPHABET)}


class CanonicalizationError(ValueError):
    """A value has no canonical JSON form (NaN, infinity, a non-string key, an unknown type)."""


MAX_DEPTH = 64


def canonical_json(value) -> bytes:
    """RFC 8785 canonical UTF-8 bytes of a JSON-compatible value.

    Input must be I-JSON (RFC 7493), as RFC 8785 requires: integers within ±2^53 (beyond
    that two different integers would share one canonical form), no lone surrogates.
    """
    try:
        return "".join(_serialize(value, "$", 0)).encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalizationError("a string holds a lone surrogate, which is not I-JSON") from None


def loads_strict(text: str | bytes):
    """Parse JSON refusing what I-JSON forbids and Python would accept: duplicate member
    names (readers disagree on which one counts), NaN and Infinity."""
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)


def _no_duplicates(pairs):
    members = {}
    for key, value in pairs:
        if key in members:
            raise CanonicalizationError(f"member {key!r} appears twice in one object")
        members[key] = value
    return members


def _no_constant(name):
    raise CanonicalizationError(f"{name} is not a JSON number")


def sha256_multibase(value) -> str:
    """``z`` + base58btc of the SHA-256 of the value's canonical bytes."""
    return "z" + b58encode(hashlib.sha256(canonical_json(value)).digest())


def _serialize(value, path: str, depth: int):
    if depth > MAX_DEPTH:
        raise CanonicalizationError(f"{path}: nested deeper than {MAX_DEPTH} levels")
    if value is None:
        yield "null"
    elif value is True:
        yield "true"
    elif value is False:
        yield "false"
    elif isinstance(value, int):
        if abs(value) > 2**53:
            raise CanonicalizationError(f"{path}: integer {value} is outside ±2^53 (not I-JSON)")
        yield str(value)
    elif isinstance(value, float):
        yield _number(value, path)
    elif isinstance(value, str):
        yield _string(value)
    elif isinstance(value, (list, tuple)):
        yield "["
        for i, item in enumerate(value):
            if i:
                yield ","
            yield from _serialize(item, f"{path}[{i}]", depth + 1)
        yield "]"
    elif isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise CanonicalizationError(f"{path}: object key {key!r} is not a string")
        yield "{"
        # RFC 8785 orders members by the UTF-16 code units of their names.
        for i, key in enumerate(sorted(value, key=lambda k: k.encode("utf-16-be"))):
            if i:
                yield ","
            yield _string(key)
            yield ":"
            yield from _serialize(value[key], f"{path}.{key}", depth + 1)
        yield "}"
    else:
        raise CanonicalizationError(f"{path}: {type(value).__name__} is not a JSON value")


def _string(text: str) -> str:
    # The standard library's encoder escapes exactly what RFC 8785 escapes ('"', '\\', the
    # two-letter forms \b \t \n \f \r, other control characters as lowercase \u00xx) and
    # leaves every other character as it is.
    return encode_basestring(text)


def _number(x: float, path: str) -> str:
    """ECMAScript Number.prototype.toString, which RFC 8785 prescribes."""
    if not math.isfinite(x):
        raise CanonicalizationError(f"{path}: {x} has no JSON form")
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 2**53:
        return str(int(x))
    # repr gives the shortest round-tripping digits, as ECMAScript does; only the layout differs.
    mantissa, _, exponent = repr(x).partition("e")
    sign = "-" if mantissa.startswith("-") else ""
    mantissa = mantissa.lstrip("-")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    point = len(whole) + (int(exponent) if exponent else 0)
    if whole == "0":  # 0.000123 → digits start after the leading zeros
        point = -(len(fraction) - len(fraction.lstrip("0")))
    digits = digits.rstrip("0") or "0"
    n = point  # the decimal point sits after n digits
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    mantissa_text = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{mantissa_text}e{'+' if e >= 0 else '-'}{abs(e)}"


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, remainder = divmod(number, 58)
        out.append(_BASE58_ALPHABET[remainder])
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading_zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    number = 0
    for ch in text:
        if ch not in _BASE58_INDEX:
            raise ValueError(f"{ch!r} is not a base58btc character")
        number = number * 58 + _BASE58_INDEX[ch]
    leading_zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * leading_zeros + body


def multibase_decode(text: str) -> bytes:
    if not text.startswith("z"):
        raise ValueError("only base58btc multibase ('z' prefix) is used here")
    return b58decode(text[1:])
