"""Public check of TODO-1.2-1, ``DataCollator.__call__`` (ner_helpers/collator.py).

It uses the tiny tokenizer of the TODO-1.1-1 check (the=2 cat=3 mat=4 on=5
sat=6, pad=0, unk=1) and two labelled rows of lengths 3 and 2. Tag ids follow
``NER_ENCODING_MAP``: O=0, B-PER=3, B-LOC=5, I-LOC=6, and the pad tag is -100.
"""

from __future__ import annotations

import copy

import torch

from ner_helpers import collator as collator_module
from ner_helpers.checks.expect import Expect
from ner_helpers.checks.tokenizer_checks import small_tokenizer
from ner_helpers.constants import PAD_NER_TAG_ID

PAD = PAD_NER_TAG_ID


def example_rows() -> list[dict[str, list[str]]]:
    """The two labelled rows, new each time: a collator that changes its rows must not
    change them for the next run of the check."""
    return [
        {"text": ["the", "cat", "sat"], "NER": ["O", "B-PER", "O"]},
        {"text": ["on", "mat"], "NER": ["B-LOC", "I-LOC"]},
    ]


def check_pad_labels(expect: Expect, labels: torch.Tensor, mask: torch.Tensor) -> None:
    """Every position where ``mask`` is 1 must have the pad tag id in ``labels``."""
    at_pads = labels[mask == 1]
    wrong = at_pads[at_pads != PAD]
    found = int(wrong[0]) if wrong.numel() else PAD
    expect.true(wrong.numel() == 0,
                f"labels at pad positions should be {PAD} (the pad tag id), found {found}")


def check_collate(expect: Expect) -> None:
    tokenizer = small_tokenizer()
    rows = example_rows()
    before = copy.deepcopy(rows)

    expect.step("DataCollator(tokenizer)(rows) with two rows of lengths 3 and 2")
    batch = collator_module.DataCollator(tokenizer)(rows)
    expect.keys(batch, {"input_ids", "padding_mask", "labels"}, "the batch of labelled rows")
    for name in ("input_ids", "padding_mask", "labels"):
        expect.tensor(batch[name], name, shape=[2, 3], dtype=torch.long)
    expect.values(batch["input_ids"], [[2, 3, 6], [5, 4, 0]],
                  "input_ids (padded on the right to the longest row)")
    expect.values(batch["padding_mask"], [[0, 0, 0], [0, 0, 1]], "padding_mask")
    check_pad_labels(expect, batch["labels"], batch["padding_mask"])
    expect.values(batch["labels"], [[0, 3, 0], [5, 6, PAD]], "labels")

    expect.step("collating rows without NER (test data)")
    unlabelled = collator_module.DataCollator(tokenizer)([{"text": r["text"]} for r in rows])
    expect.keys(unlabelled, {"input_ids", "padding_mask"}, "the batch of rows without labels")

    expect.step("DataCollator(tokenizer, padding_side='left')")
    left = collator_module.DataCollator(tokenizer, padding_side="left")(rows)
    expect.values(left["input_ids"], [[2, 3, 6], [0, 5, 4]], "input_ids with padding_side='left'")
    expect.values(left["padding_mask"], [[0, 0, 0], [1, 0, 0]],
                  "padding_mask with padding_side='left'")
    check_pad_labels(expect, left["labels"], left["padding_mask"])
    expect.values(left["labels"], [[0, 3, 0], [PAD, 5, 6]], "labels with padding_side='left'")

    expect.step("DataCollator(tokenizer, max_length=2) (truncation on the right)")
    cut = collator_module.DataCollator(tokenizer, max_length=2)(rows)
    expect.tensor(cut["input_ids"], "input_ids with max_length=2", shape=[2, 2])
    expect.values(cut["input_ids"], [[2, 3], [5, 4]], "input_ids with max_length=2")
    expect.values(cut["labels"], [[0, 3], [5, 6]],
                  "labels with max_length=2 (cut on the same side as the tokens)")

    expect.step("DataCollator(tokenizer, max_length=2, truncation_side='left')")
    cut_left = collator_module.DataCollator(tokenizer, max_length=2,
                                            truncation_side="left")(rows)
    expect.values(cut_left["input_ids"], [[3, 6], [5, 4]],
                  "input_ids with max_length=2, truncation_side='left'")
    expect.values(cut_left["labels"], [[3, 0], [5, 6]],
                  "labels with max_length=2, truncation_side='left'")

    expect.step("DataCollator(tokenizer, max_length=10): the batch is only as long as needed")
    capped = collator_module.DataCollator(tokenizer, max_length=10)(rows)
    expect.tensor(capped["input_ids"], "input_ids with padding='longest', max_length=10",
                  shape=[2, 3])

    expect.step("DataCollator(tokenizer, padding='max_length', max_length=5)")
    fixed = collator_module.DataCollator(tokenizer, padding="max_length", max_length=5)(rows)
    expect.tensor(fixed["input_ids"], "input_ids with padding='max_length', max_length=5",
                  shape=[2, 5])
    expect.values(fixed["padding_mask"], [[0, 0, 0, 1, 1], [0, 0, 1, 1, 1]],
                  "padding_mask with padding='max_length', max_length=5")
    check_pad_labels(expect, fixed["labels"], fixed["padding_mask"])

    expect.step("collating a batch of one sentence")
    single = collator_module.DataCollator(tokenizer)(rows[1:])
    expect.tensor(single["input_ids"], "input_ids of a batch of one sentence of length 2",
                  shape=[1, 2], dtype=torch.long)
    expect.tensor(single["labels"], "labels of a batch of one sentence of length 2",
                  shape=[1, 2], dtype=torch.long)

    expect.step("DataCollator(tokenizer, max_length=0)")
    empty = collator_module.DataCollator(tokenizer, max_length=0)(rows)
    expect.tensor(empty["input_ids"], "input_ids with max_length=0", shape=[2, 0],
                  dtype=torch.long)
    for side in ("left", "right"):
        expect.step(f"DataCollator(tokenizer, max_length=0, padding_side={side!r}, "
                    f"truncation_side={side!r})")
        sided = collator_module.DataCollator(tokenizer, max_length=0, padding_side=side,
                                             truncation_side=side)(rows)
        expect.tensor(sided["labels"], f"labels with max_length=0 and {side} sides",
                      shape=[2, 0], dtype=torch.long)

    expect.true(rows == before, "the rows changed while they were collated: leave the "
                "caller's rows and their lists unchanged (the same rows come back every "
                "epoch)")
