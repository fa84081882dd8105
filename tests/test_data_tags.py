"""Stray I- tags are rewritten to B-, everything else is left alone."""

from __future__ import annotations

import pytest

from ner_helpers.data import normalise_stray_inside
from ner_helpers.data.tags import entity_type, is_known_tag, is_stray_inside


@pytest.mark.parametrize(
    ("tags", "expected", "changed"),
    [
        (["B-PER", "I-PER", "O"], ["B-PER", "I-PER", "O"], []),
        (["I-PER", "I-PER", "O"], ["B-PER", "I-PER", "O"], [0]),
        (["O", "I-LOC", "I-LOC"], ["O", "B-LOC", "I-LOC"], [1]),
        (["B-MISC", "I-ORG", "I-ORG"], ["B-MISC", "B-ORG", "I-ORG"], [1]),
        (
            ["I-ORG", "O", "I-ORG", "B-ORG", "I-ORG"],
            ["B-ORG", "O", "B-ORG", "B-ORG", "I-ORG"],
            [0, 2],
        ),
        (["B-LOC", "B-LOC", "I-LOC"], ["B-LOC", "B-LOC", "I-LOC"], []),
        ([], [], []),
    ],
)
def test_normalise_stray_inside(tags: list[str], expected: list[str], changed: list[int]) -> None:
    fixed, positions = normalise_stray_inside(tags)
    assert fixed == expected
    assert positions == changed


def test_normalise_does_not_modify_its_input() -> None:
    tags = ["O", "I-PER"]
    normalise_stray_inside(tags)
    assert tags == ["O", "I-PER"]


def test_iob1_becomes_iob2() -> None:
    iob1 = ["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-LOC"]
    assert normalise_stray_inside(iob1)[0] == ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC"]


def test_helpers() -> None:
    assert is_stray_inside(None, "I-ORG")
    assert is_stray_inside("B-PER", "I-ORG")
    assert not is_stray_inside("I-ORG", "I-ORG")
    assert not is_stray_inside(None, "B-ORG")
    assert entity_type("I-MISC") == "MISC"
    assert entity_type("O") is None
    assert is_known_tag("B-LOC")
    assert not is_known_tag("B-DATE")
    assert not is_known_tag("b-loc")
