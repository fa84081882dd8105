"""Hidden tests of TODO-8-1: ``first_piece_labels`` (the encoder section).

The student's function gets piece-to-word maps written by hand, as a piece tokenizer
gives them (``None`` at ``[CLS]``, ``[SEP]`` and padding), and its answers are
compared with the reference's on the same inputs. The docstring states everything
judged here: one label per piece, a word's label on its first piece, ``ignore_id``
at every later piece and at special pieces, words cut off by truncation absent, a
new list, the inputs unchanged. A list or tuple of ints is accepted, and so is a
1-D integer tensor.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from autograder.hidden_tests.support import call_text, check, fail, ok, show
from ner_helpers.encoder import first_piece_labels

pytestmark = pytest.mark.todo("TODO-8-1")
GROUP = "encoder"
IGNORE = -100

Case = tuple[list[int | None], list[int], dict[str, Any]]


def run(student: Any, cases: list[Case]) -> list[tuple[str, dict[str, Any], list[int], Case]]:
    """``(call text, student outcome, reference labels, case)`` per case."""
    answers = student.call(GROUP, "align_labels", cases=[
        {"word_ids": word_ids, "word_labels": labels, "kwargs": kwargs}
        for word_ids, labels, kwargs in cases])
    return [(call_text("first_piece_labels", [word_ids, labels], kwargs), answer,
             first_piece_labels(word_ids, labels, **kwargs), (word_ids, labels, kwargs))
            for (word_ids, labels, kwargs), answer in zip(cases, answers)]


def as_labels(answer: dict[str, Any], what: str) -> list[int]:
    """The student's result as a list of ints (from a list, a tuple or a 1-D tensor)."""
    value = ok(answer, what)
    if isinstance(value, torch.Tensor):
        check(value.dim() == 1 and not value.is_floating_point(),
              f"{what} returned a tensor of shape {list(value.shape)} and dtype {value.dtype}; "
              "expected one integer label per piece")
        return [int(v) for v in value.tolist()]
    check(isinstance(value, (list, tuple)),
          f"{what} returned {type(value).__name__}; expected a list of ints, one per piece")
    for item in value:
        check(type(item) is int, f"{what} returned a list holding {show(item)} "
              f"({type(item).__name__}); every label must be an int")
    return list(value)


def compare(results: list[tuple[str, dict[str, Any], list[int], Case]], hint: str) -> None:
    for what, answer, expected, _case in results:
        labels = as_labels(answer, what)
        if len(labels) != len(expected):
            fail(f"{what} returned {len(labels)} labels for {len(expected)} pieces "
                 "(one label per piece, special pieces included)")
        for position, (got, wanted) in enumerate(zip(labels, expected)):
            if got != wanted:
                fail(f"{what} gives {got} at piece {position}, expected {wanted} ({hint})")


def test_returns_one_label_per_piece(student):
    results = run(student, [([None, 0, 1, 2, None], [3, 0, 5], {}),
                            ([None, 0, 0, 0, None, None], [7], {})])
    for what, answer, expected, _case in results:
        labels = as_labels(answer, what)
        check(len(labels) == len(expected), f"{what} returned {len(labels)} labels for "
              f"{len(expected)} pieces (one label per piece, special pieces included)")


def test_first_piece_gets_word_label(student):
    compare(run(student, [([None, 0, 1, 2, None], [3, 0, 5], {}),
                          ([None, 0, 1, 2, 3, None], [1, 2, 7, 8], {}),
                          ([None, 0, None], [6], {})]),
            "each word's label goes on its first piece")


def test_later_pieces_ignored(student):
    compare(run(student, [([None, 0, 1, 1, 1, 2, None], [3, 0, 5], {}),
                          ([None, 0, 0, 1, 2, 2, 2, 2, None], [1, 2, 3], {}),
                          ([None, 0, 0, 0, 0, None], [4], {})]),
            "a word's later pieces get -100, so the loss sees each word once")


def test_special_pieces_ignored(student):
    compare(run(student, [([None, 0, 1, None, None, None], [1, 3], {}),
                          ([None, 0, None, None], [0], {})]),
            "[CLS], [SEP] and padding (word id None) get -100")


def test_neighbours_with_equal_labels(student):
    compare(run(student, [([None, 0, 1, 2, None], [4, 4, 4], {}),
                          ([None, 0, 0, 1, 1, None], [0, 0], {}),
                          ([None, 0, 1, 1, 2, None], [5, 5, 5], {})]),
            "a piece starts a word when its word id changes, whatever the labels")


def test_custom_ignore_id(student):
    compare(run(student, [([None, 0, 0, 1, None], [2, 6], {"ignore_id": -1}),
                          ([None, 0, 1, 1, None], [3, 4], {"ignore_id": 99})]),
            "the ignored pieces get ignore_id")


def test_truncated_sentence(student):
    compare(run(student, [([None, 0, 1, 1, None], [7, 8, 4], {}),
                          ([None, 0, 0, 0, None], [2, 1, 1, 1], {})]),
            "words cut off by truncation have no piece and so no label")


def test_edge_sizes(student):
    compare(run(student, [([None, None], [], {}),
                          ([None, 0, None], [8], {}),
                          ([], [], {}),
                          ([None] * 6, [], {})]),
            "an empty sentence has only special pieces")


def test_leaves_inputs_unchanged(student):
    cases: list[Case] = [([None, 0, 0, 1, None], [5, 6], {}),
                         ([None, 0, 1, 1, 2, None, None], [1, 2, 3], {})]
    for what, answer, _expected, (word_ids, labels, _kwargs) in run(student, cases):
        ok(answer, what)
        after = answer.get("after", {})
        check(after.get("word_ids") == word_ids and after.get("word_labels") == labels,
              f"{what} changed its inputs (to {show(after.get('word_ids'))} and "
              f"{show(after.get('word_labels'))}); return a new list instead")
