"""Token embeddings: one learned vector per vocabulary id."""

from __future__ import annotations

import torch
from torch import nn

from ner_helpers.module import Module


class TokenEmbedding(Module):
    """Looks up a ``embedding_dim`` vector for every token id.

    The row of ``padding_idx`` stays zero and receives no gradient, so padding
    carries no information into the model.
    """

    def __init__(self, vocab_size: int, embedding_dim: int, padding_idx: int = 0) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        # TODO-2-1 hint: create the lookup table as self.embedding (torch.nn.Embedding),
        # telling it which index is padding (keep its other options at their defaults).
        ### BEGIN SOLUTION
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
        ### END SOLUTION

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Map ``input_ids`` LongTensor[B, L] to embeddings FloatTensor[B, L, D] (also for
        ``B = 1`` or ``L = 1``)."""
        # TODO-2-2 hint: one call to the layer you made in __init__.
        ### BEGIN SOLUTION
        return self.embedding(input_ids)
        ### END SOLUTION
