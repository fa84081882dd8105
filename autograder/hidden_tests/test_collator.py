"""Hidden tests of TODO-1.2-1: ``DataCollator.__call__``.

The student's collator never meets the student's tokenizer: it gets a lookup
tokenizer that answers ``tokenize`` from a table of reference tokenizations
(and has ``token2id``, ``pad_id``... for collators that read the vocabulary
directly). A broken tokenizer therefore costs nothing here.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch

from autograder.hidden_tests.support import (
    check,
    expect_equal,
    expect_mapping,
    expect_tensor,
    fail,
    ok,
)
from autograder.sandbox.child.harness import lookup_key
from ner_helpers.collator import DataCollator
from ner_helpers.constants import PAD_NER_TAG_ID, PAD_TOKEN, UNK_TOKEN
from ner_helpers.tokenizer import Tokenizer

pytestmark = pytest.mark.todo("TODO-1.2-1")
GROUP = "collator"

VOCAB = [PAD_TOKEN, UNK_TOKEN, "The", "Bank", "of", "America", "went", "to", "the", "bank", ".",
         "Ada", "draw", "cash"]
ROWS = [
    {"text": ["The", "Bank", "of", "America"], "NER": ["O", "B-ORG", "I-ORG", "I-ORG"]},
    {"text": ["went", "to", "the", "bank", "."], "NER": ["O", "O", "O", "O", "O"]},
    {"text": ["America"], "NER": ["B-LOC"]},
    {"text": ["Ada", "Lovelace", "went", "to", "Bank", "of", "America", "."],
     "NER": ["B-PER", "I-PER", "O", "O", "B-ORG", "I-ORG", "I-ORG", "O"]},
    {"text": ["."], "NER": ["O"]},
]
MAX_TABLE_LENGTH = 12


def with_index(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as in the kit's split files (running token indices added)."""
    result, start = [], 0
    for row in rows:
        result.append({**row, "index": list(range(start, start + len(row["text"])))})
        start += len(row["text"])
    return result


def reference_tokenizer() -> Tokenizer:
    tokenizer = Tokenizer(PAD_TOKEN, UNK_TOKEN, lowercase=False)
    tokenizer.token2id = {token: index for index, token in enumerate(VOCAB)}
    tokenizer.id2token = dict(enumerate(VOCAB))
    return tokenizer


def lookup_table(sentences: list[list[str]]) -> list[list[Any]]:
    """Reference tokenizations of every sentence for every length and side."""
    tokenizer = reference_tokenizer()
    table = []
    for tokens in {tuple(sentence) for sentence in sentences}:
        for length in [None, *range(MAX_TABLE_LENGTH + 1)]:
            for pad in ("right", "left"):
                for cut in ("right", "left"):
                    result = tokenizer.tokenize(list(tokens), max_length=length,
                                                padding_side=pad, truncation_side=cut)
                    table.append([lookup_key(list(tokens), length, pad, cut),
                                  result["input_ids"].tolist(), result["padding_mask"].tolist()])
    return sorted(table, key=lambda entry: entry[0])


def run(student: Any, cases: list[tuple[dict[str, Any], list[dict[str, Any]]]],
        shared: bool = False) -> list[tuple[str, Any, dict[str, torch.Tensor]]]:
    """Collate every (collator settings, batch) case with the student's collator and the
    reference; returns ``(description, student outcome, reference batch)`` per case.

    With ``shared``, the student's collator gets the same row objects whenever a row
    comes back in a later case (the reference always gets fresh copies).
    """
    sentences = [row.get("text", row.get("tokens")) for _, batch in cases for row in batch]
    arguments: dict[str, Any] = {"cases": [{"kwargs": kwargs, "batch": batch}
                                           for kwargs, batch in cases]}
    if shared:
        pool = [row for _, batch in cases for row in batch]
        pool = [row for index, row in enumerate(pool) if row not in pool[:index]]
        arguments = {"pool": pool, "cases": [
            {"kwargs": kwargs, "rows": [pool.index(row) for row in batch]}
            for kwargs, batch in cases]}
    answers = student.call(GROUP, "collate", vocab=VOCAB, pad_token=PAD_TOKEN,
                           unk_token=UNK_TOKEN, lowercase=False, table=lookup_table(sentences),
                           **arguments)
    results = []
    for (kwargs, batch), answer in zip(cases, answers):
        expected = DataCollator(reference_tokenizer(), **kwargs)(copy.deepcopy(batch))
        settings = ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
        lengths = [len(row.get("text", row.get("tokens", []))) for row in batch]
        what = f"DataCollator({settings or 'default settings'}) on sentences of lengths {lengths}"
        results.append((what, answer, expected))
    return results


def checked(what: str, answer: Any, expected: dict[str, torch.Tensor]) -> dict[str, Any]:
    """The student's batch: a dict with the expected keys, LongTensors of the right shape."""
    value = expect_mapping(ok(answer, what), what, sorted(expected))
    for key, tensor in expected.items():
        expect_tensor(value[key], f"{what}: {key}", dtype=torch.long, shape=list(tensor.shape))
    return value


def compare(results: list[tuple[str, Any, dict[str, torch.Tensor]]], keys: tuple[str, ...],
            hint: str) -> None:
    for what, answer, expected in results:
        value = checked(what, answer, expected)
        for key in keys:
            if key in expected:
                expect_equal(value[key], expected[key], f"{what}: {key}", hint)


DEFAULT_BATCH = [ROWS[0], ROWS[1], ROWS[2]]


def test_batch_tensors(student: Any) -> None:
    for what, answer, expected in run(student, [({}, with_index(DEFAULT_BATCH))]):
        checked(what, answer, expected)


def test_pads_to_longest(student: Any) -> None:
    cases = [({}, with_index(DEFAULT_BATCH)), ({}, with_index([ROWS[2], ROWS[3]]))]
    compare(run(student, cases), ("input_ids",), "the batch is padded to its longest sentence "
            "with the pad id")


def test_padding_mask(student: Any) -> None:
    cases = [({}, with_index(DEFAULT_BATCH)), ({"padding_side": "left"},
                                               with_index([ROWS[3], ROWS[2]]))]
    compare(run(student, cases), ("padding_mask",), "the mask is 1 exactly at pad positions")


def test_labels_are_tag_ids(student: Any) -> None:
    for what, answer, expected in run(student, [({}, with_index(DEFAULT_BATCH + [ROWS[3]]))]):
        value = checked(what, answer, expected)
        labels, wanted = value["labels"], expected["labels"]
        real = wanted != PAD_NER_TAG_ID
        if not torch.equal(labels[real], wanted[real]):
            position = (labels != wanted).logical_and(real).nonzero()[0].tolist()
            fail(f"{what}: labels at batch row {position[0]}, position {position[1]} is "
                 f"{labels[tuple(position)].item()}, expected tag id "
                 f"{wanted[tuple(position)].item()} (use NER_ENCODING_MAP)")


def test_label_padding(student: Any) -> None:
    cases = [({}, with_index(DEFAULT_BATCH)),
             ({"padding_side": "left"}, with_index([ROWS[2], ROWS[0]]))]
    for what, answer, expected in run(student, cases):
        value = checked(what, answer, expected)
        labels, wanted = value["labels"], expected["labels"]
        pads = wanted == PAD_NER_TAG_ID
        wrong = (labels != wanted).logical_and(pads)
        if bool(wrong.any()):
            row, position = wrong.nonzero()[0].tolist()
            fail(f"{what}: labels at pad positions must be the pad tag id ({PAD_NER_TAG_ID}); "
                 f"found {labels[row, position].item()} at batch row {row}, position {position}")
        expect_equal(labels, wanted, f"{what}: labels")


def test_pads_to_max_length(student: Any) -> None:
    cases = [({"padding": "max_length", "max_length": 7}, with_index(DEFAULT_BATCH)),
             ({"padding": "max_length", "max_length": 3}, with_index([ROWS[3], ROWS[2]]))]
    compare(run(student, cases), ("input_ids", "padding_mask", "labels"),
            'padding="max_length" gives every batch exactly max_length positions')


def test_longest_capped_by_max_length(student: Any) -> None:
    cases = [({"max_length": 3}, with_index([ROWS[0], ROWS[3]])),
             ({"max_length": 6}, with_index([ROWS[2], ROWS[0]]))]
    compare(run(student, cases), ("input_ids", "padding_mask", "labels"),
            'with padding="longest" and max_length, the batch length is the longest sentence, '
            "at most max_length; labels are cut like the tokens")


def test_left_padding_and_truncation(student: Any) -> None:
    cases = [({"max_length": 4, "padding_side": "left", "truncation_side": "left"},
              with_index([ROWS[3], ROWS[2], ROWS[0]])),
             ({"max_length": 5, "padding_side": "left", "truncation_side": "right"},
              with_index([ROWS[3], ROWS[1], ROWS[2]]))]
    compare(run(student, cases), ("input_ids", "padding_mask", "labels"),
            "labels are padded and truncated on the same sides as the tokens")


def test_unlabelled_batch(student: Any) -> None:
    rows = [{"text": row["text"]} for row in with_index(DEFAULT_BATCH)]
    for row, original in zip(rows, with_index(DEFAULT_BATCH)):
        row["index"] = original["index"]
    for what, answer, expected in run(student, [({}, rows)]):
        value = ok(answer, f"{what} (test rows without NER)")
        check(isinstance(value, dict), f"{what} (test rows without NER) did not return a dict")
        check("labels" not in value, f"{what}: rows without NER give a batch without 'labels'")
        compare([(what + " (test rows without NER)", answer, expected)],
                ("input_ids", "padding_mask"), "test data has no labels")


def test_column_names(student: Any) -> None:
    rows = [{"tokens": row["text"], "tags": row["NER"]} for row in DEFAULT_BATCH]
    kwargs = {"text_colname": "tokens", "label_colname": "tags"}
    compare(run(student, [(kwargs, rows)]), ("input_ids", "padding_mask", "labels"),
            "read the tokens and tags from self.text_colname and self.label_colname")


def test_edge_sizes(student: Any) -> None:
    cases = [({}, with_index([ROWS[0]])),
             ({}, with_index([ROWS[2], ROWS[4]])),
             ({"padding_side": "left"}, with_index([ROWS[4]])),
             ({"padding": "max_length", "max_length": 1}, with_index([ROWS[3], ROWS[4]]))]
    # max_length 0 and 1 with every padding and truncation side: `tags[-0:]` is the whole
    # list, so a left cut written with a negative index breaks only here
    for max_length in (0, 1):
        for padding_side in ("right", "left"):
            for truncation_side in ("right", "left"):
                cases.append(({"max_length": max_length, "padding_side": padding_side,
                               "truncation_side": truncation_side},
                              with_index([ROWS[0], ROWS[1]])))
    compare(run(student, cases), ("input_ids", "padding_mask", "labels"),
            "a batch of one sentence and one-token sentences give [B, L] tensors too, and "
            "max_length=0 gives [B, 0] (max_length 0 and 1 on either padding and "
            "truncation side)")


def test_leaves_rows_unchanged(student: Any) -> None:
    rows = with_index(ROWS)
    cases = [({"padding_side": "left"}, [rows[3], rows[2]]),
             ({}, [rows[2], rows[0]]),
             ({"max_length": 2}, [rows[3], rows[1]]),
             ({}, [rows[3], rows[1]]),
             ({"padding_side": "left", "truncation_side": "left", "max_length": 3},
              [rows[0], rows[4]]),
             ({}, [rows[0], rows[4]])]
    compare(run(student, cases, shared=True), ("input_ids", "padding_mask", "labels"),
            "the same rows collated again (as in every epoch) give the same batch: do not "
            "pad, truncate or otherwise change the caller's rows or their lists")
