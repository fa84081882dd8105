"""Test doubles and runners shared by the child (with student classes) and the grader
(with the reference classes), so both sides run exactly the same code around
the class under test.

Nothing here knows the reference solution: the lookup tokenizer answers from a
table the grader computed. The module tests' runner is in
:mod:`autograder.sandbox.child.module_harness`, the trainer tests' doubles in
:mod:`autograder.sandbox.child.trainer_harness`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import torch


def outcome(action: Callable[[], Any], describe: Callable[[BaseException], dict]) -> dict:
    """``{"ok": result}`` or ``{"error": description}`` of one call into student code."""
    try:
        return {"ok": action()}
    except BaseException as exc:  # noqa: BLE001 (student code may raise anything, SystemExit too)
        return {"error": describe(exc)}


# ---------------------------------------------------------------------------- tokenizer double
def lookup_key(tokens: Sequence[str], max_length: int | None, padding_side: str,
               truncation_side: str) -> str:
    return json.dumps([list(tokens), max_length, padding_side, truncation_side])


class LookupTokenizer:
    """Stands in for the student's tokenizer in the collator tests.

    It has the attributes of the kit's ``Tokenizer`` (``token2id``, ``id2token``,
    ``pad_id``, ``unk_id``, ``lowercase``, ``vocab_size``...), so a collator that
    reads the vocabulary directly works too; ``tokenize`` answers from a table
    of reference tokenizations keyed by its arguments.
    """

    def __init__(self, vocab: Sequence[str], lowercase: bool, pad_token: str, unk_token: str,
                 table: Sequence[Sequence[Any]]) -> None:
        self.pad_token = pad_token
        self.unk_token = unk_token
        self.lowercase = lowercase
        self.token2id = {token: index for index, token in enumerate(vocab)}
        self.id2token = {index: token for index, token in enumerate(vocab)}
        self._table = {key: (list(ids), list(mask)) for key, ids, mask in table}

    @property
    def vocab_size(self) -> int:
        return len(self.token2id)

    @property
    def pad_id(self) -> int:
        return self.token2id[self.pad_token]

    @property
    def unk_id(self) -> int:
        return self.token2id[self.unk_token]

    def tokenize(self, input_seq: str | Sequence[str], max_length: int | None = None,
                 padding_side: str = "right",
                 truncation_side: str = "right") -> dict[str, torch.Tensor]:
        tokens = input_seq.split() if isinstance(input_seq, str) else [str(t) for t in input_seq]
        if max_length is not None:
            max_length = int(max_length)
        key = lookup_key(tokens, max_length, padding_side, truncation_side)
        if key not in self._table:
            raise LookupError(
                f"the grader's tokenizer has no answer for tokenize({tokens!r}, "
                f"max_length={max_length!r}, padding_side={padding_side!r}, "
                f"truncation_side={truncation_side!r}); pass the sentence's tokens and the "
                "batch's length and sides"
            )
        ids, mask = self._table[key]
        return {"input_ids": torch.tensor(ids, dtype=torch.long),
                "padding_mask": torch.tensor(mask, dtype=torch.long)}

    def __len__(self) -> int:
        return self.vocab_size


