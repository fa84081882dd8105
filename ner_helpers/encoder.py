"""A pretrained transformer encoder fine-tuned for tagging, with an optional BiGRU head.

The encoder reads *word pieces*: a tokenizer such as BERT's WordPiece splits a
word it does not hold whole into several pieces ("Washington" may become
``Wash ##ington``), adds a ``[CLS]`` piece in front and a ``[SEP]`` piece at
the end. The tags, the loss and the metric live on *words*. This file holds the
bridge (TODO-8-1): each word's tag goes onto its first piece; every other
piece gets the pad tag id (-100), which the loss ignores. Predictions are read
back from the first piece of each word, so the encoder is scored on exactly the
words every other model of the kit is scored on.

The piece tokenizer, the windows over long sentences and the batching of pieces
are provided in :mod:`ner_helpers.word_pieces` and :mod:`ner_helpers.piece_collator`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ner_helpers.constants import PAD_NER_TAG_ID
from ner_helpers.module import Module


def first_piece_labels(word_ids: Sequence[int | None], word_labels: Sequence[int],
                       ignore_id: int = PAD_NER_TAG_ID) -> list[int]:
    """The label of every piece of one sentence: each word's label on its first piece.

    Args:
        word_ids: for each piece (position) of the encoded sentence, the index of
            the word it belongs to, or ``None`` for a special piece (``[CLS]``,
            ``[SEP]``, padding). The pieces of one word are consecutive and words
            come in order, e.g. ``[None, 0, 1, 1, 1, 2, None]`` for three words of
            which the second has three pieces. Words cut off by truncation do not
            appear at all.
        word_labels: the tag id of every word of the sentence (``word_labels[w]``
            is the label of word ``w``).
        ignore_id: the label of the pieces the loss ignores (the pad tag id, -100).

    Returns:
        A new list of ints, one per piece (``len(word_ids)`` of them): the label of
        word ``w`` at the first piece of ``w``, ``ignore_id`` at every later piece
        of ``w`` and at every special piece. The inputs are left unchanged.

    Example: ``first_piece_labels([None, 0, 1, 1, 1, 2, None], [3, 0, 5])`` is
    ``[-100, 3, 0, -100, -100, 5, -100]``.
    """
    # TODO-8-1 hint: walk over the pieces, remembering the word of the piece
    # before; a piece starts a word when its word id is not None and differs from
    # the previous piece's word id: it gets word_labels[word id]. Every other
    # piece gets ignore_id.
    ### BEGIN SOLUTION
    labels: list[int] = []
    previous: int | None = None
    for word in word_ids:
        if word is None or word == previous:
            labels.append(int(ignore_id))
        else:
            labels.append(int(word_labels[word]))
        previous = word
    return labels
    ### END SOLUTION


class EncoderTagger(Module):
    """A pretrained encoder, an optional bidirectional GRU, and a linear layer.

    ``forward(input_ids LongTensor[B, P]) -> logits FloatTensor[B, P, O]``, one
    vector of tag scores per piece (P pieces, ``[CLS]`` and ``[SEP]`` included).

    Layers (the names matter: weights are loaded by name):
        encoder: a ``transformers`` encoder (``AutoModel``), piece ids to
            ``[B, P, E]`` hidden states.
        gru: ``nn.GRU`` (bidirectional, ``gru_layers`` layers, ``gru_hidden_dim``
            per direction) over the encoder's states of the real pieces, or
            ``None`` when ``gru_hidden_dim`` is 0.
        dropout: dropout before the output layer (training only).
        V: ``2 * gru_hidden_dim`` (or ``E`` without the GRU) to ``output_dim``.

    The padding pieces (``pad_id``) are masked out of the encoder's attention and
    never enter the GRU (packed sequences), so a sentence gets the same logits in
    any batch.
    """

    def __init__(self, encoder: nn.Module, output_dim: int, pad_id: int,
                 gru_hidden_dim: int = 256, gru_layers: int = 1, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        self.pad_id = int(pad_id)
        hidden_size = int(encoder.config.hidden_size)
        self.gru: nn.GRU | None = None
        features = hidden_size
        if gru_hidden_dim > 0:
            self.gru = nn.GRU(hidden_size, gru_hidden_dim, num_layers=gru_layers,
                              batch_first=True, bidirectional=True)
            features = 2 * gru_hidden_dim
        self.dropout = nn.Dropout(dropout)
        self.V = nn.Linear(features, output_dim)
        # Only the new layers start from random weights; the encoder keeps its own.
        nn.init.xavier_normal_(self.V.weight)
        nn.init.zeros_(self.V.bias)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Map piece ids LongTensor[B, P] to logits FloatTensor[B, P, O]."""
        attention_mask = (input_ids != self.pad_id).long()  # [B, P], 1 at real pieces
        states = self.encoder(input_ids=input_ids,
                              attention_mask=attention_mask).last_hidden_state  # [B, P, E]
        if self.gru is not None:
            lengths = attention_mask.sum(dim=1).clamp(min=1).cpu()
            packed = nn.utils.rnn.pack_padded_sequence(states, lengths, batch_first=True,
                                                       enforce_sorted=False)
            output, _ = self.gru(packed)
            states, _ = nn.utils.rnn.pad_packed_sequence(output, batch_first=True,
                                                         total_length=input_ids.shape[1])
        return self.V(self.dropout(states))  # [B, P, O]
