"""Public check of TODO-8-1, ``first_piece_labels`` (ner_helpers/encoder.py).

Word ids are written by hand, as a piece tokenizer would give them: ``None`` at
``[CLS]``, ``[SEP]`` and padding, the word's index at each of its pieces.
"""

from __future__ import annotations

from ner_helpers import encoder as encoder_module
from ner_helpers.checks.expect import Expect

IGNORE = -100


def _as_list(expect: Expect, value, what: str) -> list:
    expect.true(isinstance(value, list), f"{what} must be a list, got {type(value).__name__}")
    return value


def check_first_piece_labels(expect: Expect) -> None:
    align = encoder_module.first_piece_labels

    expect.step("first_piece_labels([None, 0, 1, 2, None], [3, 0, 5]): one piece per word")
    out = _as_list(expect, align([None, 0, 1, 2, None], [3, 0, 5]), "the result")
    expect.equal(out, [IGNORE, 3, 0, 5, IGNORE],
                 "labels (each word's label on its piece, -100 at [CLS] and [SEP])")

    expect.step("first_piece_labels([None, 0, 1, 1, 1, 2, None], [3, 0, 5]): "
                "the second word has three pieces")
    out = _as_list(expect, align([None, 0, 1, 1, 1, 2, None], [3, 0, 5]), "the result")
    expect.equal(len(out), 7, "the number of labels (one per piece)")
    expect.equal(out, [IGNORE, 3, 0, IGNORE, IGNORE, 5, IGNORE],
                 "labels (a word's later pieces get -100)")

    expect.step("first_piece_labels([None, 0, 1, 1, None], [4, 4]): neighbours with the "
                "same label")
    out = _as_list(expect, align([None, 0, 1, 1, None], [4, 4]), "the result")
    expect.equal(out, [IGNORE, 4, 4, IGNORE, IGNORE],
                 "labels (a piece starts a word when its word id changes)")

    expect.step("padding pieces (None after [SEP]) and a custom ignore_id")
    out = _as_list(expect, align([None, 0, 0, 1, None, None, None], [1, 2], ignore_id=-1),
                   "the result")
    expect.equal(out, [-1, 1, -1, 2, -1, -1, -1], "labels with ignore_id=-1")

    expect.step("a truncated sentence: its last word has no pieces left")
    out = _as_list(expect, align([None, 0, 1, 1, None], [7, 8, 4]), "the result")
    expect.equal(out, [IGNORE, 7, 8, IGNORE, IGNORE], "labels of a truncated sentence")

    expect.step("the inputs are left unchanged")
    word_ids, word_labels = [None, 0, 0, 1, None], [5, 6]
    align(word_ids, word_labels)
    expect.equal((word_ids, word_labels), ([None, 0, 0, 1, None], [5, 6]),
                 "word_ids and word_labels after the call")
