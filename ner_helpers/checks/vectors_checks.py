"""Public check of TODO-7-2, ``align_vectors`` (ner_helpers/vectors.py)."""

from __future__ import annotations

import torch

from ner_helpers import vectors as vectors_module
from ner_helpers.checks.expect import Expect


def check_align_vectors(expect: Expect) -> None:
    token2id = {"<|pad|>": 0, "<|unk|>": 1, "the": 2, "Paris": 3, "Zzyzx": 4}
    vectors = {"the": torch.tensor([1.0, 2.0]), "paris": torch.tensor([3.0, 4.0]),
               "<|unk|>": torch.tensor([9.0, 9.0])}
    table = torch.full((5, 2), -1.0)

    expect.step("align_vectors(token2id, vectors, table, skip_ids=[0, 1])")
    match = vectors_module.align_vectors(token2id, vectors, table, [0, 1])
    expect.tensor(match, "the match codes", shape=[5], dtype=torch.long)
    expect.values(match, [-1, -1, 1, 2, 0],
                  "the match codes (SKIPPED -1, EXACT 1, LOWERCASE 2, MISSING 0)")
    expect.values(table[2], [1.0, 2.0], "row 2 ('the', in the file)")
    expect.values(table[3], [3.0, 4.0], "row 3 ('Paris', found as 'paris')")
    expect.values(table[4], [-1.0, -1.0], "row 4 ('Zzyzx', missing: left as it was)")
    expect.values(table[1], [-1.0, -1.0], "row 1 (the unknown id is skipped)")

    expect.step("a word the file has in both forms")
    both = {"Paris": torch.tensor([5.0, 6.0]), "paris": torch.tensor([3.0, 4.0])}
    table = torch.zeros(5, 2)
    vectors_module.align_vectors(token2id, both, table, [0, 1])
    expect.values(table[3], [5.0, 6.0], "row 3 ('Paris' has its own vector: it wins)")
