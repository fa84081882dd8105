"""Batches of word pieces for the encoder tagger, with labels on the pieces.

The labels go on the first piece of each word (:func:`ner_helpers.encoder.first_piece_labels`,
TODO-8-1), the default; with ``label_pieces="all"`` every piece of a word carries its
word's tag (a ``B-`` tag becomes ``I-`` on the word's later pieces), so the loss sees
every piece. Sentences longer than ``max_length`` pieces are truncated here: their last
words get no label in training and validation batches (prediction uses windows instead
and tags every word, see :meth:`ner_helpers.encoder_predictor.EncoderPredictor.tag`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from ner_helpers.constants import NER_DECODING_MAP, NER_ENCODING_MAP, PAD_NER_TAG_ID
from ner_helpers.encoder import first_piece_labels
from ner_helpers.word_pieces import WordPieces

LABEL_PIECES = ("first", "all")


def all_piece_labels(word_ids: Sequence[int | None], word_labels: Sequence[int],
                     ignore_id: int = PAD_NER_TAG_ID) -> list[int]:
    """Each piece gets its word's tag id (``B-X`` turned into ``I-X`` after the word's
    first piece); special pieces get ``ignore_id``."""
    labels: list[int] = []
    previous: int | None = None
    for word in word_ids:
        if word is None:
            labels.append(int(ignore_id))
        else:
            label = int(word_labels[word])
            if word == previous:
                tag = NER_DECODING_MAP[label]
                if tag.startswith("B-"):
                    label = NER_ENCODING_MAP["I-" + tag[2:]]
            labels.append(label)
        previous = word
    return labels


class PieceCollator:
    """Turns dataset rows into padded piece tensors (right padding).

    Returns ``input_ids`` LongTensor[B, P] (pad id at padding), ``padding_mask``
    LongTensor[B, P] (1 exactly at padding) and, when the rows carry tags,
    ``labels`` LongTensor[B, P] (-100 at every piece the loss ignores).

    Args:
        pieces: the encoder's :class:`WordPieces`.
        max_length: pieces per sentence, ``[CLS]`` and ``[SEP]`` included.
        label_pieces: ``"first"`` (default) or ``"all"``.
    """

    def __init__(self, pieces: WordPieces, max_length: int, label_pieces: str = "first",
                 text_colname: str = "text", label_colname: str = "NER") -> None:
        if label_pieces not in LABEL_PIECES:
            raise ValueError(f"label_pieces must be one of {LABEL_PIECES}, got {label_pieces!r}")
        self.pieces = pieces
        self.max_length = int(max_length)
        self.label_pieces = label_pieces
        self.text_colname = text_colname
        self.label_colname = label_colname

    def __call__(self, instances: Sequence[Mapping]) -> dict[str, torch.Tensor]:
        encoded = [self.pieces.encode(list(row[self.text_colname]), max_length=self.max_length)
                   for row in instances]
        length = max(len(e.input_ids) for e in encoded)
        input_ids = torch.full((len(encoded), length), self.pieces.pad_id, dtype=torch.long)
        padding_mask = torch.ones((len(encoded), length), dtype=torch.long)
        for row, sentence in enumerate(encoded):
            input_ids[row, :len(sentence.input_ids)] = torch.tensor(sentence.input_ids)
            padding_mask[row, :len(sentence.input_ids)] = 0
        batch = {"input_ids": input_ids, "padding_mask": padding_mask}
        if instances and all(self.label_colname in row for row in instances):
            align = first_piece_labels if self.label_pieces == "first" else all_piece_labels
            labels = torch.full((len(encoded), length), PAD_NER_TAG_ID, dtype=torch.long)
            for row, (sentence, instance) in enumerate(zip(encoded, instances)):
                word_labels = [NER_ENCODING_MAP[tag] for tag in instance[self.label_colname]]
                aligned = align(sentence.word_ids, word_labels, PAD_NER_TAG_ID)
                labels[row, :len(aligned)] = torch.tensor(aligned, dtype=torch.long)
            batch["labels"] = labels
        return batch
