"""Ceph's bare nan / -nan / inf tokens read as null (no number to compute with), outside strings only; anything
else still not JSON."""

import json

import pytest

from runbook_lib.ceph_json import loads_ceph_json


def test_bare_tokens_are_null_and_strings_keep_their_contents():
    value = loads_ceph_json('{"a": -nan, "b": [inf, -inf, nan, NaN, Infinity, 2.5], "c": "x: nan, inf", "d": 1}')
    assert value == {"a": None, "b": [None, None, None, None, None, 2.5], "c": "x: nan, inf", "d": 1}
    assert json.dumps(value, allow_nan=False)  # what is saved is plain JSON


def test_a_quoted_quote_does_not_end_the_string_and_words_holding_the_letters_stay():
    assert loads_ceph_json(r'{"k": "say \"nan\", inf", "v": -nan}')["k"] == 'say "nan", inf'
    with pytest.raises(json.JSONDecodeError):
        loads_ceph_json('{"k": info}')  # a bare word is no number, not even one that starts like inf


def test_what_is_not_json_beside_a_bare_token_raises_on_its_own_line():
    with pytest.raises(json.JSONDecodeError) as err:
        loads_ceph_json('{"a": -nan,\n "b": }')
    assert err.value.msg == "Expecting value" and err.value.lineno == 2  # the broken "b", not the -nan
