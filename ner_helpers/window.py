"""A context-window tagger: every token is classified from its own embedding and those
of its ``window`` neighbours on each side, through a feed-forward network."""

from __future__ import annotations

import torch
from torch import nn

from ner_helpers.module import Module

COMBINATIONS = ("concat", "mean")


def window_features(embeddings: torch.Tensor, padding_mask: torch.Tensor | None,
                    window: int, combine: str) -> torch.Tensor:
    """The window of every position: embeddings FloatTensor[B, L, D] ->
    FloatTensor[B, L, (2 * window + 1) * D] for ``"concat"`` or [B, L, D] for ``"mean"``.

    Position t reads positions ``t - window .. t + window``. A neighbour outside the
    sentence or at a padded position counts as absent: a zero vector in the
    concatenation, left out of the mean (which divides by the number of real positions
    in the window). So a real token's features never depend on padding.
    """
    if combine not in COMBINATIONS:
        raise ValueError(f"combine must be one of {COMBINATIONS}, got {combine!r}")
    batch_size, seq_len, _ = embeddings.shape
    if padding_mask is None:
        real = embeddings.new_ones(batch_size, seq_len)
    else:
        real = (padding_mask == 0).to(embeddings.dtype)                # [B, L]
    masked = embeddings * real.unsqueeze(-1)                           # [B, L, D]
    # Pad the sentence axis with `window` absent positions on each side.
    padded = nn.functional.pad(masked, (0, 0, window, window))         # [B, L + 2w, D]
    padded_real = nn.functional.pad(real, (window, window))            # [B, L + 2w]
    shifted = [padded[:, offset:offset + seq_len] for offset in range(2 * window + 1)]
    if combine == "concat":
        return torch.cat(shifted, dim=-1)                              # [B, L, (2w+1) D]
    counts = sum(padded_real[:, offset:offset + seq_len] for offset in range(2 * window + 1))
    total = torch.stack(shifted, dim=0).sum(dim=0)                     # [B, L, D]
    return total / counts.clamp(min=1.0).unsqueeze(-1)


class WindowTagger(Module):
    """An FFNN over the window of each token (see :func:`window_features`).

    Layers (named as in :class:`~ner_helpers.ffnn.FFNN`):
        W: ``input_dim -> hidden_dim``, where ``input_dim`` is
           ``(2 * window + 1) * embedding_dim`` for ``combine="concat"`` and
           ``embedding_dim`` for ``combine="mean"``.
        U: ``nn.ModuleList`` of ``num_layers - 1`` layers ``hidden_dim -> hidden_dim``.
        V: ``hidden_dim -> output_dim`` (logits, no softmax).
        f: one ReLU per hidden layer.

    ``window=0`` is the FFNN: every token alone.
    """

    #: The predictor passes the batch's padding mask to ``forward``.
    takes_padding_mask = True

    def __init__(self, embedding_dim: int, hidden_dim: int, output_dim: int,
                 num_layers: int = 1, window: int = 2, combine: str = "concat") -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}")
        if window < 0:
            raise ValueError(f"window must be at least 0, got {window}")
        if combine not in COMBINATIONS:
            raise ValueError(f"combine must be one of {COMBINATIONS}, got {combine!r}")
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.output_dim = output_dim
        self.num_layers = num_layers
        self.window = window
        self.combine = combine
        input_dim = embedding_dim * (2 * window + 1 if combine == "concat" else 1)
        self.W = nn.Linear(input_dim, hidden_dim)
        self.U = nn.ModuleList([nn.Linear(hidden_dim, hidden_dim) for _ in range(num_layers - 1)])
        self.V = nn.Linear(hidden_dim, output_dim)
        self.f = nn.ModuleList([nn.ReLU() for _ in range(num_layers)])

    def forward(self, embeddings: torch.Tensor,
                padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Map embeddings FloatTensor[B, L, D] and ``padding_mask`` [B, L] (nonzero at
        padded positions; ``None``: no padding) to logits FloatTensor[B, L, O]."""
        features = window_features(embeddings, padding_mask, self.window, self.combine)
        hidden = self.f[0](self.W(features))
        for k, layer in enumerate(self.U, start=1):
            hidden = self.f[k](layer(hidden))
        return self.V(hidden)
