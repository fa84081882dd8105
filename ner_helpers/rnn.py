"""A hand-written multi-layer recurrent tagger (left to right)."""

from __future__ import annotations

import torch
from torch import nn

from ner_helpers.module import Module

NONLINEARITIES = ("tanh", "relu", "prelu")


def make_nonlinearity(name: str) -> nn.Module:
    """The activation module for ``name`` (one of :data:`NONLINEARITIES`)."""
    if name == "tanh":
        return nn.Tanh()
    if name == "relu":
        return nn.ReLU()
    if name == "prelu":
        return nn.PReLU()
    raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {name!r}")


class RNN(Module):
    """An Elman RNN with ``num_layers`` stacked layers and a linear output layer.

    For layer k (1-based) and time step t, with ``z[0, t]`` the embedding of token t
    and ``z[k, 0]`` the initial hidden state (zeros by default):

        z[k, t] = f(W_k z[k-1, t] + U_k z[k, t-1])
        logits[t] = V z[num_layers, t]

    Layers (the names matter: weights are loaded by name):
        W: ``nn.ModuleList`` of ``num_layers`` input-to-hidden layers; ``W[0]`` reads
           the embedding (``embedding_dim -> hidden_dim``), the others the layer
           below (``hidden_dim -> hidden_dim``).
        U: ``nn.ModuleList`` of ``num_layers`` hidden-to-hidden layers.
        V: ``hidden_dim -> output_dim``, the output layer (logits, no softmax).
        f: one nonlinearity per layer (provided): layer k applies ``f[k]`` once per
           time step; no weights are shared across layers.

    ``bias`` applies to W and U. With sizes 10, 5, 2 and 5 layers (tanh) the
    model has 337 parameters.
    """

    def __init__(self, embedding_dim: int, hidden_dim: int, output_dim: int,
                 num_layers: int = 1, bias: bool = True, nonlinearity: str = "tanh") -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}")
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.output_dim = output_dim
        self.num_layers = num_layers
        self.bias = bias
        self.nonlinearity = nonlinearity
        self.f = nn.ModuleList([make_nonlinearity(nonlinearity) for _ in range(num_layers)])
        # TODO-5-1 hint: create self.W and self.U as nn.ModuleLists of num_layers
        # nn.Linear layers each (mind the input size of W[0]) using `bias`, and self.V.
        ### BEGIN SOLUTION
        self.W = nn.ModuleList(
            [nn.Linear(embedding_dim if k == 0 else hidden_dim, hidden_dim, bias=bias)
             for k in range(num_layers)]
        )
        self.U = nn.ModuleList(
            [nn.Linear(hidden_dim, hidden_dim, bias=bias) for _ in range(num_layers)]
        )
        self.V = nn.Linear(hidden_dim, output_dim)
        ### END SOLUTION

    def initial_state(self, batch_size: int, like: torch.Tensor) -> torch.Tensor:
        """Zero hidden states FloatTensor[num_layers, B, H] on ``like``'s device and dtype."""
        return like.new_zeros(self.num_layers, batch_size, self.hidden_dim)

    def forward(self, embeddings: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
        """Map embeddings FloatTensor[B, L, D] to logits FloatTensor[B, L, O].

        ``h0`` FloatTensor[num_layers, B, H] gives the initial hidden states;
        by default they are zeros, so the same input always gives the same output.
        ``B = 1`` and ``L = 1`` keep their dimensions.
        """
        batch_size, seq_len, _ = embeddings.shape
        if h0 is None:
            h0 = self.initial_state(batch_size, embeddings)
        # TODO-5-2 hint: loop over time steps (and layers), carrying each layer's
        # hidden state from step t-1 to step t and feeding z[k, t] to layer k+1;
        # use self.f[k] as the nonlinearity of layer k; apply V at every step.
        ### BEGIN SOLUTION
        layer_input = embeddings  # z[k-1, t] for all t: [B, L, D] then [B, L, H]
        for k in range(self.num_layers):
            # W_k z[k-1, t] does not depend on the recurrence: compute it for all t at
            # once, then split it into L tensors [B, H] (unbind has a cheap backward).
            from_below = self.W[k](layer_input).unbind(dim=1)
            hidden = h0[k]  # z[k, 0]: [B, H]
            states = []
            for t in range(seq_len):
                hidden = self.f[k](from_below[t] + self.U[k](hidden))
                states.append(hidden)
            layer_input = torch.stack(states, dim=1)  # [B, L, H]
        return self.V(layer_input)
        ### END SOLUTION
