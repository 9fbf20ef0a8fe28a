"""Ceph's bare nan / -nan / inf tokens read as floats, outside strings only; anything else still not JSON."""

import json
import math

import pytest

from runbook_lib.ceph_json import loads_ceph_json


def test_bare_tokens_are_floats_and_strings_keep_their_contents():
    value = loads_ceph_json('{"a": -nan, "b": [inf, -inf, nan, NaN, Infinity], "c": "x: nan, inf", "d": 1}')
    assert math.isnan(value["a"]) and math.isnan(value["b"][2]) and math.isnan(value["b"][3])
    assert value["b"][0] == math.inf and value["b"][1] == -math.inf and value["b"][4] == math.inf
    assert value["c"] == "x: nan, inf" and value["d"] == 1


def test_a_quoted_quote_does_not_end_the_string_and_words_holding_the_letters_stay():
    assert loads_ceph_json(r'{"k": "say \"nan\", inf", "v": -nan}')["k"] == 'say "nan", inf'
    with pytest.raises(json.JSONDecodeError):
        loads_ceph_json('{"k": info}')  # a bare word is no number, not even one that starts like inf


def test_what_is_not_json_beside_a_bare_token_raises_on_its_own_line():
    with pytest.raises(json.JSONDecodeError) as err:
        loads_ceph_json('{"a": -nan,\n "b": }')
    assert err.value.msg == "Expecting value" and err.value.lineno == 2  # the broken "b", not the -nan
