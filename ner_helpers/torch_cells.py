"""Taggers on PyTorch's recurrent cells (``nn.RNN``, ``nn.GRU``, ``nn.LSTM``).

They sit beside the hand-written :class:`~ner_helpers.rnn.RNN` in the model
registry (``model.cell`` in ``torch-rnn``, ``gru``, ``lstm``): the same token
embedding before them, the same kind of linear output layer ``V`` after them,
and padding that never reaches a real position, in either direction.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ner_helpers.errors import KitError
from ner_helpers.module import Module

#: ``model.cell`` value -> PyTorch recurrent layer.
TORCH_CELLS: dict[str, type[nn.RNNBase]] = {"torch-rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class TorchRecurrentTagger(Module):
    """A stack of ``num_layers`` PyTorch recurrent layers, then ``V``.

    ``forward(embeddings FloatTensor[B, L, D], mask BoolTensor[B, L]) -> logits
    FloatTensor[B, L, O]``. ``mask`` is True at real tokens, which come first in
    each row; the sentences are packed to their lengths, so the padding after a
    sentence changes none of its outputs (not even those of the backward
    direction), and padded positions get the logits of a zero state.

    Layers:
        cell: the ``nn.RNN``/``nn.GRU``/``nn.LSTM`` (``batch_first``).
        f: one identity module on the cell's outputs ``[B, L, H * directions]``,
           where activation hooks can record them.
        V: ``hidden_dim * directions -> output_dim``, the output layer.
    """

    def __init__(self, cell: str, embedding_dim: int, hidden_dim: int, output_dim: int,
                 num_layers: int = 1, bias: bool = True, nonlinearity: str = "tanh",
                 bidirectional: bool = False) -> None:
        super().__init__()
        if cell not in TORCH_CELLS:
            raise KitError(f"cell must be one of {sorted(TORCH_CELLS)}, got {cell!r}")
        settings: dict = {"batch_first": True, "bias": bias, "bidirectional": bidirectional,
                          "num_layers": num_layers}
        if cell == "torch-rnn":
            if nonlinearity not in ("tanh", "relu"):
                raise KitError(f"cell torch-rnn takes nonlinearity tanh or relu, "
                               f"got {nonlinearity!r}")
            settings["nonlinearity"] = nonlinearity
        self.cell_name = cell
        self.hidden_dim = hidden_dim
        self.num_layers = num_layers
        self.directions = 2 if bidirectional else 1
        self.cell = TORCH_CELLS[cell](embedding_dim, hidden_dim, **settings)
        self.f = nn.ModuleList([nn.Identity()])
        self.V = nn.Linear(hidden_dim * self.directions, output_dim)

    def forward(self, embeddings: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch_size, seq_len, _ = embeddings.shape
        lengths = mask.sum(dim=1).clamp(min=1).cpu()
        packed = pack_padded_sequence(embeddings, lengths, batch_first=True,
                                      enforce_sorted=False)
        outputs, _ = self.cell(packed)
        states, _ = pad_packed_sequence(outputs, batch_first=True, total_length=seq_len)
        return self.V(self.f[0](states))  # [B, L, O]
