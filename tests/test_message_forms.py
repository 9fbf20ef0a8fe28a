"""The message-form type both runbooks' tables use."""

import re

from runbook_lib.message_forms import MessageForm, first_match

OLD = MessageForm("m", "Mitaka", re.compile(r"old (?P<x>\d+)"), "nova/x.py: 'old %d'")
NEW = MessageForm("m", "Queens", re.compile(r"new (?P<x>\d+)"), "nova/x.py: 'new %d'")


def test_the_first_form_that_matches_wins_and_hands_its_match():
    form, match = first_match((NEW, OLD), "a line with old 7 in it")
    assert form is OLD and match.group("x") == "7"
    assert first_match((NEW, OLD), "neither") is None
