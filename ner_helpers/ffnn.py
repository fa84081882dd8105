"""A feed-forward tagger: every token is classified from its own embedding."""

from __future__ import annotations

import torch
from torch import nn

from ner_helpers.module import Module


class FFNN(Module):
    """``num_layers`` hidden layers with ReLU, then a linear output layer.

    Layers (the names matter: weights are loaded by name):
        W: ``embedding_dim -> hidden_dim``, the first hidden layer.
        U: ``nn.ModuleList`` of ``num_layers - 1`` layers ``hidden_dim -> hidden_dim``.
        V: ``hidden_dim -> output_dim``, the output layer (logits, no softmax).
        f: one ReLU per hidden layer (provided): ``forward`` applies ``f[k]`` once,
           after hidden layer k + 1, so hooks can record each layer.

    With sizes 10, 5, 2 and 5 layers the model has 187 parameters.
    """

    def __init__(self, embedding_dim: int, hidden_dim: int, output_dim: int,
                 num_layers: int = 1) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}")
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.output_dim = output_dim
        self.num_layers = num_layers
        self.f = nn.ModuleList([nn.ReLU() for _ in range(num_layers)])
        # TODO-4-1 hint: create self.W, self.U (an nn.ModuleList with num_layers - 1
        # hidden-to-hidden layers) and self.V, all nn.Linear with biases.
        ### BEGIN SOLUTION
        self.W = nn.Linear(embedding_dim, hidden_dim)
        self.U = nn.ModuleList([nn.Linear(hidden_dim, hidden_dim) for _ in range(num_layers - 1)])
        self.V = nn.Linear(hidden_dim, output_dim)
        ### END SOLUTION

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        """Map embeddings FloatTensor[B, L, D] to logits FloatTensor[B, L, O] (also for
        ``B = 1`` or ``L = 1``). Inside, the tokens may keep their ``[B, L]`` layout or be
        flattened to ``[B * L, D]``; only the logits' shape is fixed."""
        # TODO-4-2 hint: apply W, then each layer of U, each followed by its ReLU
        # self.f[k]; finish with V and return the logits (no softmax).
        ### BEGIN SOLUTION
        hidden = self.f[0](self.W(embeddings))
        for k, layer in enumerate(self.U, start=1):
            hidden = self.f[k](layer(hidden))
        return self.V(hidden)
        ### END SOLUTION
