"""The ticket number's one definition: drawn, stored, read back as typed or pasted."""

import re

import pytest

from tickets import numbers


def test_a_drawn_number_has_the_stored_format():
    for _ in range(200):
        assert re.fullmatch(numbers.NUMBER_REGEX, numbers.number_generate())


@pytest.mark.parametrize("typed", ["KXJ-482-19375", "kxj-482-19375", "#KXJ-482-19375",
                                   "[#KXJ-482-19375]", " [ # kxj - 482 - 19375 ] "])
def test_a_whole_number_is_read_in_every_usual_shape(typed):
    assert numbers.number_parse(typed) == "KXJ-482-19375"


@pytest.mark.parametrize("typed", ["", "KXJ-482-1937", "KXJ48219375", "KXJ-482-19375x", "Re: [#KXJ-482-19375]", None])
def test_anything_else_is_not_a_number(typed):
    assert numbers.number_parse(typed) is None


def test_a_search_box_prefix():
    assert numbers.number_prefix_parse("kxj-48") == "KXJ-48"
    assert numbers.number_prefix_parse("#KXJ-482-1") == "KXJ-482-1"
    assert numbers.number_prefix_parse("hello") is None


def test_the_subject_tag_round_trips():
    subject = f"RE: AW: {numbers.subject_tag('KXJ-482-19375')} Trunk down"
    assert numbers.number_in_subject(subject) == "KXJ-482-19375"
    assert numbers.number_in_subject("[# kxj - 482 - 19375 ]") == "KXJ-482-19375"
    assert numbers.number_in_subject("no tag") is None
