"""RFC 8785 canonical JSON and base58btc: the bytes signatures rest on."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from passport.canonical import CanonicalizationError, b58decode, b58encode, canonical_json

# Number examples from RFC 8785 appendix B (IEEE 754 value → ECMAScript serialisation).
NUMBERS = [
    (0.0, "0"), (-0.0, "0"), (5e-324, "5e-324"), (-5e-324, "-5e-324"),
    (1.7976931348623157e308, "1.7976931348623157e+308"), (9007199254740992.0, "9007199254740992"),
    (-9007199254740992.0, "-9007199254740992"), (295147905179352830000.0, "295147905179352830000"),
    (9.999999999999997e22, "9.999999999999997e+22"), (1e23, "1e+23"), (1.0000000000000001e23, "1.0000000000000001e+23"),
    (999999999999999700000.0, "999999999999999700000"), (999999999999999900000.0, "999999999999999900000"),
    (1e21, "1e+21"), (9.999999999999997e-7, "9.999999999999997e-7"), (0.000001, "0.000001"),
    (333333333.3333332, "333333333.3333332"), (333333333.33333325, "333333333.33333325"),
    (0.1 + 0.2, "0.30000000000000004"), (4.5, "4.5"), (0.002, "0.002"), (1e-7, "1e-7"),
]


@pytest.mark.parametrize("value,expected", NUMBERS)
def test_numbers_serialise_as_ecmascript_does(value, expected):
    assert canonical_json(value) == expected.encode()


def test_members_sort_by_utf16_code_units_and_strings_escape_minimally():
    keys = ["\u20ac", "\r", "\ufb33", "1", "\U0001f600", "\u0080", "\u00f6"]
    ordered = json.loads(canonical_json({k: 0 for k in keys}))
    assert list(ordered) == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    assert canonical_json("\x00\x1f\x7f\"\\\b\t\n\f\ré") == '"\\u0000\\u001f\x7f\\"\\\\\\b\\t\\n\\f\\ré"'.encode()


def test_what_i_json_forbids_is_refused():
    from passport.canonical import loads_strict

    with pytest.raises(CanonicalizationError, match="integer"):
        canonical_json({"version": 2**53 + 1})
    with pytest.raises(CanonicalizationError, match="surrogate"):
        canonical_json({"a": "\udc00"})
    with pytest.raises(CanonicalizationError, match="nested deeper"):
        canonical_json(json.loads("[" * 100 + "]" * 100))
    with pytest.raises(CanonicalizationError, match="appears twice"):
        loads_strict('{"a": 1, "a": 2}')
    with pytest.raises(CanonicalizationError, match="NaN"):
        loads_strict('{"a": NaN}')


def test_values_without_a_json_form_are_refused_naming_where():
    with pytest.raises(CanonicalizationError, match=r"\$.a\[1\]"):
        canonical_json({"a": [1, float("nan")]})
    with pytest.raises(CanonicalizationError, match="not a string"):
        canonical_json({1: "x"})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**53, 2**53) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20)


@given(json_values)
def test_canonical_bytes_parse_back_to_the_value_and_are_a_fixed_point(value):
    encoded = canonical_json(value)
    # JSON numbers are IEEE doubles in RFC 8785, so read them back as doubles
    assert json.loads(encoded, parse_int=float) == value
    assert canonical_json(json.loads(encoded, parse_int=float)) == encoded


@given(st.binary(max_size=40))
def test_base58_round_trips_keeping_leading_zeros(data):
    assert b58decode(b58encode(data)) == data


def test_base58_matches_the_bitcoin_alphabet():
    assert b58encode(b"Hello World!") == "2NEpo7TZRRrLZSi2U"
    assert b58encode(b"\0\0\x01") == "112"
    with pytest.raises(ValueError, match="base58btc"):
        b58decode("0OIl")
