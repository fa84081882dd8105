"""Dynamic padding (TODO-1.2-1)."""

import pytest
import torch

from ner_helpers.collator import DataCollator
from ner_helpers.constants import NER_ENCODING_MAP, PAD_NER_TAG, PAD_NER_TAG_ID
from ner_helpers.tokenizer import Tokenizer

ROWS = [
    {"text": ["Alice", "visited", "Paris"], "NER": ["B-PER", "O", "B-LOC"]},
    {"text": ["Bob"], "NER": ["B-PER"]},
    {"text": ["New", "York", "is", "big", "today"], "NER": ["B-LOC", "I-LOC", "O", "O", "O"]},
]


@pytest.fixture()
def tokenizer():
    return Tokenizer().train(ROWS, min_freq=1, remove_frac=0.0)


def test_pads_to_the_longest_sentence(tokenizer):
    batch = DataCollator(tokenizer)(ROWS)
    assert set(batch) == {"input_ids", "padding_mask", "labels"}
    for value in batch.values():
        assert value.shape == (3, 5) and value.dtype == torch.long
    assert batch["padding_mask"][1].tolist() == [0, 1, 1, 1, 1]
    assert batch["labels"][1].tolist() == [NER_ENCODING_MAP["B-PER"]] + [PAD_NER_TAG_ID] * 4
    # labels are padding exactly where the tokens are
    assert torch.equal(batch["labels"] == PAD_NER_TAG_ID, batch["padding_mask"] == 1)


def test_batch_length_follows_the_batch(tokenizer):
    assert DataCollator(tokenizer)(ROWS[:2])["input_ids"].shape == (2, 3)


def test_max_length_padding_is_exact(tokenizer):
    batch = DataCollator(tokenizer, padding="max_length", max_length=7)(ROWS[:2])
    assert batch["input_ids"].shape == (2, 7)


@pytest.mark.parametrize("side", ["left", "right"])
def test_truncation_cuts_labels_like_tokens(tokenizer, side):
    batch = DataCollator(tokenizer, max_length=2, truncation_side=side)([ROWS[2]])
    expected_tags = ["B-LOC", "I-LOC"] if side == "right" else ["O", "O"]
    expected_tokens = ["New", "York"] if side == "right" else ["big", "today"]
    assert batch["labels"][0].tolist() == [NER_ENCODING_MAP[t] for t in expected_tags]
    assert batch["input_ids"][0].tolist() == [tokenizer.token2id[t] for t in expected_tokens]


def test_left_padding_puts_pad_labels_first(tokenizer):
    batch = DataCollator(tokenizer, padding_side="left")(ROWS[:2])
    assert batch["labels"][1].tolist() == [PAD_NER_TAG_ID, PAD_NER_TAG_ID, 3]
    assert batch["padding_mask"][1].tolist() == [1, 1, 0]


def test_unlabelled_rows_give_no_labels(tokenizer):
    batch = DataCollator(tokenizer)([{"text": r["text"]} for r in ROWS])
    assert "labels" not in batch and batch["input_ids"].shape == (3, 5)


def test_settings_are_checked(tokenizer):
    with pytest.raises(ValueError):
        DataCollator(tokenizer, padding="max_length")
    with pytest.raises(ValueError):
        DataCollator(tokenizer, padding="static")


def test_the_original_kits_helpers_give_the_batch_length_and_tag_ids(tokenizer):
    rows = [{"text": ["a", "b", "c"]}, {"text": ["d"]}]
    assert DataCollator(tokenizer)._get_max_length(rows) == 3
    assert DataCollator(tokenizer, max_length=2)._get_max_length(rows) == 2
    assert DataCollator(tokenizer, max_length=0)._get_max_length(rows) == 0
    fixed = DataCollator(tokenizer, padding="max_length", max_length=5)
    assert fixed._get_max_length(rows) == 5 and fixed.padding == "max_length"
    ids = DataCollator._process_labels(["O", "B-PER", PAD_NER_TAG])
    assert ids.dtype == torch.long
    assert ids.tolist() == [NER_ENCODING_MAP["O"], NER_ENCODING_MAP["B-PER"], PAD_NER_TAG_ID]


def test_collating_leaves_the_rows_unchanged(tokenizer):
    rows = [{"text": ["a", "b", "c"], "NER": ["O", "O", "O"]}, {"text": ["d"], "NER": ["O"]}]
    before = [{key: list(value) for key, value in row.items()} for row in rows]
    DataCollator(tokenizer, max_length=2, padding_side="left")(rows)
    DataCollator(tokenizer, padding="max_length", max_length=4)(rows)
    assert rows == before
