"""Hidden tests of TODO-1.1-1: ``Tokenizer.tokenize``.

The student's ``Tokenizer`` gets a fixed vocabulary (``token2id`` and
``id2token`` set directly, so training is not involved) and its answers are
compared with the reference tokenizer's on the same inputs.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from autograder.hidden_tests.support import (
    call_text,
    check,
    expect_equal,
    expect_mapping,
    expect_tensor,
    fail,
    ok,
)
from ner_helpers.constants import PAD_TOKEN, UNK_TOKEN
from ner_helpers.tokenizer import Tokenizer

pytestmark = pytest.mark.todo("TODO-1.1-1")
GROUP = "tokenizer"

VOCAB = [PAD_TOKEN, UNK_TOKEN, "The", "Bank", "of", "America", "went", "to", "draw", "cash",
         "bank", "the", "."]
LOWER_VOCAB = [PAD_TOKEN, UNK_TOKEN, "the", "bank", "of", "america", "went", "to", "draw",
               "cash", "."]
LONG_SENTENCE = "The Bank of America went to draw cash ."


def reference(vocab: list[str], lowercase: bool) -> Tokenizer:
    tokenizer = Tokenizer(PAD_TOKEN, UNK_TOKEN, lowercase=lowercase)
    tokenizer.token2id = {token: index for index, token in enumerate(vocab)}
    tokenizer.id2token = dict(enumerate(vocab))
    return tokenizer


def run(student: Any, cases: list[tuple[Any, dict[str, Any]]], lowercase: bool = False,
        vocab: list[str] | None = None) -> list[tuple[str, Any, dict[str, torch.Tensor]]]:
    """Tokenize every case with the student's and the reference tokenizer.

    Returns ``(call text, student outcome, reference output)`` per case.
    """
    vocab = vocab or (LOWER_VOCAB if lowercase else VOCAB)
    answers = student.call(GROUP, "tokenize", vocab=vocab, pad_token=PAD_TOKEN,
                           unk_token=UNK_TOKEN, lowercase=lowercase,
                           cases=[{"input": text, "kwargs": kwargs} for text, kwargs in cases])
    expected = reference(vocab, lowercase)
    return [(call_text("tokenize", [text], kwargs), answer, expected.tokenize(text, **kwargs))
            for (text, kwargs), answer in zip(cases, answers)]


def checked(what: str, answer: Any) -> dict[str, torch.Tensor]:
    """The student's result as a dict of two 1-D LongTensors of equal length."""
    value = expect_mapping(ok(answer, what), what, ["input_ids", "padding_mask"])
    ids = expect_tensor(value["input_ids"], f"{what}['input_ids']", dtype=torch.long)
    mask = expect_tensor(value["padding_mask"], f"{what}['padding_mask']", dtype=torch.long)
    check(ids.dim() == 1, f"{what}['input_ids'] has shape {list(ids.shape)}; one sentence "
          "gives a 1-D tensor [L]")
    check(mask.shape == ids.shape, f"{what}: padding_mask has shape {list(mask.shape)} but "
          f"input_ids has shape {list(ids.shape)}")
    return {"input_ids": ids, "padding_mask": mask}


def compare_all(results: list[tuple[str, Any, dict[str, torch.Tensor]]], hint: str,
                keys: tuple[str, ...] = ("input_ids", "padding_mask")) -> None:
    for what, answer, expected in results:
        value = checked(what, answer)
        for key in keys:
            if value[key].shape != expected[key].shape:
                fail(f"{what}['{key}'] has length {value[key].shape[0]}, expected "
                     f"{expected[key].shape[0]} ({hint})")
            expect_equal(value[key], expected[key], f"{what}['{key}']", hint)


def test_returns_long_tensors(student: Any) -> None:
    for what, answer, _ in run(student, [("The Bank", {}), (["of", "America"], {})]):
        checked(what, answer)


def test_string_input(student: Any) -> None:
    cases = [("The Bank  of\tAmerica", {}), ("went to the bank .", {}), ("  the\nBank ", {})]
    compare_all(run(student, cases), "a string is split on any whitespace")


def test_list_input(student: Any) -> None:
    cases = [(["The", "Bank", "of", "America"], {}), (["went", "to", "New York", "."], {}),
             (["cash"], {})]
    compare_all(run(student, cases), "a list is taken as the tokens, one id per item, "
                "without splitting the items")


def test_unknown_tokens(student: Any) -> None:
    cases = [("The Bnak of Amerika", {}), ("the BANK", {}), (["Zurich", "."], {})]
    compare_all(run(student, cases), f"tokens not in the vocabulary get the unknown id "
                f"{VOCAB.index(UNK_TOKEN)}", keys=("input_ids",))


def test_lowercasing(student: Any) -> None:
    lowered = [("The BANK of America", {}), (["Went", "TO", "draw"], {})]
    compare_all(run(student, lowered, lowercase=True),
                "a tokenizer with lowercase=True lowercases every token first",
                keys=("input_ids",))
    kept = [("The bank", {}), (["the", "Bank"], {})]
    compare_all(run(student, kept, lowercase=False),
                "a tokenizer with lowercase=False keeps the case", keys=("input_ids",))


def test_no_padding_without_max_length(student: Any) -> None:
    cases = [("The Bank of America", {}), (["went", "to", "draw", "cash", "."], {}),
             ("the", {})]
    compare_all(run(student, cases), "without max_length the sentence is neither padded nor "
                "truncated and the mask is all zeros")


def test_padding_sides(student: Any) -> None:
    cases = [("The Bank of", {"max_length": 6}),
             ("The Bank of", {"max_length": 6, "padding_side": "left"}),
             (["went", "to"], {"max_length": 5, "padding_side": "right"}),
             (["went", "to"], {"max_length": 5, "padding_side": "left",
                               "truncation_side": "left"})]
    compare_all(run(student, cases), "pads go on padding_side, with the pad id, and the mask is "
                "1 exactly at pad positions")


def test_truncation_sides(student: Any) -> None:
    cases = [(LONG_SENTENCE, {"max_length": 4}),
             (LONG_SENTENCE, {"max_length": 4, "truncation_side": "left"}),
             (LONG_SENTENCE.split(), {"max_length": 2, "truncation_side": "left",
                                      "padding_side": "left"}),
             (LONG_SENTENCE.split(), {"max_length": 8, "truncation_side": "right",
                                      "padding_side": "left"})]
    compare_all(run(student, cases), "tokens beyond max_length are cut on truncation_side")


def test_max_length_exact(student: Any) -> None:
    sentence = "The Bank of America went"
    cases = [(sentence, {"max_length": length, "padding_side": pad, "truncation_side": cut})
             for length in range(1, 9) for pad in ("right", "left") for cut in ("right", "left")]
    results = run(student, cases)
    for what, answer, expected in results:
        value = checked(what, answer)
        check(value["input_ids"].shape[0] == expected["input_ids"].shape[0],
              f"{what} returned {value['input_ids'].shape[0]} ids; with max_length the result "
              "has exactly max_length ids")
    compare_all(results, "with max_length the result has exactly that length")


def test_edge_sizes(student: Any) -> None:
    cases = [("Bank", {}), (["America"], {"max_length": 1}),
             ("cash", {"max_length": 3, "padding_side": "left"}),
             ("The Bank of", {"max_length": 0}),
             (["went", "to"], {"max_length": 0, "padding_side": "left",
                               "truncation_side": "left"})]
    compare_all(run(student, cases), "a one-token sentence gives tensors of shape [1], and "
                "max_length=0 gives empty tensors of shape [0]")
