"""A convolutional tagger: every token is classified from a window of its neighbours,
read by one or more 1-D convolutions over the sentence."""

from __future__ import annotations

import torch
from torch import nn

from ner_helpers.module import Module


class CNNTagger(Module):
    """``num_layers`` 1-D convolutions with ReLU, then a linear output layer.

    Layers (the names matter: weights are loaded by name):
        convs: ``nn.ModuleList`` of ``num_layers`` ``nn.Conv1d`` layers, the first
           ``embedding_dim -> hidden_dim``, the others ``hidden_dim -> hidden_dim``; each
           has an odd ``kernel_size`` and ``padding=kernel_size // 2``, so its output is as
           long as its input ("same" length): position t sees positions
           ``t - kernel_size // 2 .. t + kernel_size // 2`` of the layer below.
        V: ``hidden_dim -> output_dim``, the output layer (logits, no softmax).
        f: one ReLU per convolution: ``forward`` applies ``f[k]`` once, after ``convs[k]``,
           so hooks can record each layer.

    Padding never reaches a real position: before every convolution the padded positions
    of its input are set to zero, so a real token's output is the same whatever sits in
    the padded positions, and the same as if its sentence were alone in the batch.

    With sizes 10, 5, 2, 2 layers and kernel 3 the model has 247 parameters.
    """

    #: The predictor passes the batch's padding mask to ``forward``.
    takes_padding_mask = True

    def __init__(self, embedding_dim: int, hidden_dim: int, output_dim: int,
                 num_layers: int = 1, kernel_size: int = 3) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}")
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd and positive, got {kernel_size}")
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.output_dim = output_dim
        self.num_layers = num_layers
        self.kernel_size = kernel_size
        sizes = [embedding_dim] + [hidden_dim] * num_layers
        self.convs = nn.ModuleList([
            nn.Conv1d(sizes[k], sizes[k + 1], kernel_size, padding=kernel_size // 2)
            for k in range(num_layers)])
        self.V = nn.Linear(hidden_dim, output_dim)
        self.f = nn.ModuleList([nn.ReLU() for _ in range(num_layers)])

    def forward(self, embeddings: torch.Tensor,
                padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Map embeddings FloatTensor[B, L, D] to logits FloatTensor[B, L, O] (also for
        ``B = 1`` or ``L = 1``).

        ``padding_mask``: [B, L], nonzero (1 or True) exactly at padded positions, as the
        tokenizer and the collator make it; ``None`` means no position is padding.
        ``nn.Conv1d`` reads ``[B, channels, L]``: the sentence runs along the last axis.
        """
        # TODO-7-1 hint: zero the padded positions of the embeddings, move the channels
        # to dim 1 ([B, D, L]), then for each k apply self.convs[k] and self.f[k], zeroing
        # the padded positions again before the next convolution; move the channels back
        # ([B, L, H]) and finish with V (logits, no softmax).
        ### BEGIN SOLUTION
        if padding_mask is None:
            keep = embeddings.new_ones(embeddings.shape[:2])
        else:
            keep = (padding_mask == 0).to(embeddings.dtype)
        keep = keep.unsqueeze(1)                                 # [B, 1, L]
        hidden = embeddings.transpose(1, 2)                      # [B, D, L]
        for conv, activation in zip(self.convs, self.f):
            hidden = activation(conv(hidden * keep))             # [B, H, L]
        return self.V(hidden.transpose(1, 2))                    # [B, L, O]
        ### END SOLUTION
