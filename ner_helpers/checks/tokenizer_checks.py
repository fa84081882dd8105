"""Public check of TODO-1.1-1, ``Tokenizer.tokenize`` (ner_helpers/tokenizer.py).

The check trains a tokenizer on one tiny sentence, so that every id is known:

    <|pad|>=0  <|unk|>=1  the=2  cat=3  mat=4  on=5  sat=6

("the" is the most frequent word; ties are sorted alphabetically).
"""

from __future__ import annotations

import torch

from ner_helpers import tokenizer as tokenizer_module
from ner_helpers.checks.expect import Expect

SENTENCE = ["the", "cat", "sat", "on", "the", "mat"]
IDS = {"the": 2, "cat": 3, "mat": 4, "on": 5, "sat": 6}
UNK_ID = 1
PAD_ID = 0


def small_tokenizer(lowercase: bool = False) -> tokenizer_module.Tokenizer:
    """A tokenizer whose vocabulary is the words of :data:`SENTENCE`."""
    tokenizer = tokenizer_module.Tokenizer(lowercase=lowercase)
    return tokenizer.train([{"text": list(SENTENCE)}], min_freq=1, remove_frac=0.0)


def check_tokenize(expect: Expect) -> None:
    tokenizer = small_tokenizer()

    expect.step("tokenizer.tokenize('the cat sat')")
    out = tokenizer.tokenize("the cat sat")
    expect.keys(out, {"input_ids", "padding_mask"}, "the result of tokenize")
    expect.tensor(out["input_ids"], "input_ids", shape=[3], dtype=torch.long)
    expect.tensor(out["padding_mask"], "padding_mask", shape=[3], dtype=torch.long)
    expect.values(out["input_ids"], [2, 3, 6], "input_ids of 'the cat sat'")
    expect.values(out["padding_mask"], [0, 0, 0], "padding_mask without padding")

    expect.step("tokenize with a list of tokens and with extra whitespace")
    as_list = tokenizer.tokenize(["the", "cat", "sat"])
    expect.values(as_list["input_ids"], [2, 3, 6], "input_ids of ['the', 'cat', 'sat']")
    spaced = tokenizer.tokenize("  the\tcat \n sat ")
    expect.values(spaced["input_ids"], [2, 3, 6],
                  "input_ids of '  the\\tcat \\n sat ' (split on any whitespace)")

    expect.step("tokenize a sentence with unknown words")
    unknown = tokenizer.tokenize("the zebra sat The")
    expect.values(unknown["input_ids"], [2, UNK_ID, 6, UNK_ID],
                  "input_ids of 'the zebra sat The' (unknown words get the unk id 1; "
                  "this tokenizer does not lowercase)")

    expect.step("tokenize with a lowercasing tokenizer")
    lower = small_tokenizer(lowercase=True).tokenize("The CAT sat")
    expect.values(lower["input_ids"], [2, 3, 6],
                  "input_ids of 'The CAT sat' with lowercase=True")

    expect.step("tokenize('the cat sat', max_length=5)")
    padded = tokenizer.tokenize("the cat sat", max_length=5)
    expect.tensor(padded["input_ids"], "input_ids with max_length=5", shape=[5], dtype=torch.long)
    expect.values(padded["input_ids"], [2, 3, 6, PAD_ID, PAD_ID],
                  "input_ids with max_length=5, padding_side='right'")
    expect.values(padded["padding_mask"], [0, 0, 0, 1, 1],
                  "padding_mask with max_length=5 (1 exactly at pad positions)")

    expect.step("tokenize('the cat sat', max_length=5, padding_side='left')")
    left = tokenizer.tokenize("the cat sat", max_length=5, padding_side="left")
    expect.values(left["input_ids"], [PAD_ID, PAD_ID, 2, 3, 6],
                  "input_ids with max_length=5, padding_side='left'")
    expect.values(left["padding_mask"], [1, 1, 0, 0, 0],
                  "padding_mask with max_length=5, padding_side='left'")

    expect.step("tokenize('the cat sat on', max_length=2) with both truncation sides")
    cut_right = tokenizer.tokenize("the cat sat on", max_length=2)
    expect.values(cut_right["input_ids"], [2, 3],
                  "input_ids with max_length=2, truncation_side='right' (keep the start)")
    expect.values(cut_right["padding_mask"], [0, 0], "padding_mask after truncation")
    cut_left = tokenizer.tokenize("the cat sat on", max_length=2, truncation_side="left")
    expect.values(cut_left["input_ids"], [6, 5],
                  "input_ids with max_length=2, truncation_side='left' (keep the end)")

    expect.step("tokenize('the cat', max_length=2)")
    exact = tokenizer.tokenize("the cat", max_length=2)
    expect.values(exact["input_ids"], [2, 3], "input_ids when the sentence fits max_length")

    expect.step("tokenize('cat') and tokenize('the cat', max_length=0)")
    one = tokenizer.tokenize("cat")
    expect.tensor(one["input_ids"], "input_ids of the one-token sentence 'cat'", shape=[1],
                  dtype=torch.long)
    empty = tokenizer.tokenize("the cat", max_length=0)
    expect.tensor(empty["input_ids"], "input_ids with max_length=0", shape=[0], dtype=torch.long)
    expect.tensor(empty["padding_mask"], "padding_mask with max_length=0", shape=[0],
                  dtype=torch.long)
