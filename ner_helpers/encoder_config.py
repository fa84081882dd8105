"""The description of an encoder tagger (``model_type: encoder``). Saved beside its weights.

It declares the encoder's sizes (copied from the encoder's own config when the
model is built), so that a grader can judge how large a submitted model is from
this file and the size of its weights file, before anything is loaded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ner_helpers.constants import NUM_NER_TAGS
from ner_helpers.errors import KitError
from ner_helpers.model_config import check_config_keys

#: The encoder used when a config names none.
DEFAULT_ENCODER = "bert-base-cased"
#: The sizes an encoder config declares; each a positive integer.
DECLARED_SIZES = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                  "intermediate_size", "max_position_embeddings")


@dataclass(frozen=True)
class EncoderConfig:
    """Everything needed to rebuild an :class:`~ner_helpers.encoder_predictor.EncoderPredictor`.

    ``encoder`` names where a new model's encoder comes from: a hub ID
    (``bert-base-cased``), a local folder holding ``config.json`` (and its
    weights and tokenizer), or ``tiny:`` followed by a folder holding only a
    ``tokenizer.json``: a small randomly initialised encoder (see
    :mod:`ner_helpers.encoder_build`). A saved model needs none of them: its
    folder holds the encoder's config and pieces.
    """

    model_type: str
    encoder: str = DEFAULT_ENCODER
    output_dim: int = NUM_NER_TAGS
    #: Hidden size of each direction of the BiGRU head; 0: no GRU, the linear
    #: layer reads the encoder directly.
    gru_hidden_dim: int = 256
    gru_layers: int = 1
    dropout: float = 0.1
    #: "first": the tag on each word's first piece, the other pieces ignored by
    #: the loss; "all": the tag on every piece (B- becomes I- after the first).
    label_pieces: str = "first"
    #: Pieces per window ([CLS] and [SEP] included); 0: the encoder's maximum.
    max_length: int = 0
    #: Words of context on either side of a window's own words (long sentences).
    window_context: int = 16
    #: Sizes of a tiny random encoder (``encoder: tiny:FOLDER``) only.
    tiny_hidden_size: int = 64
    tiny_layers: int = 2
    tiny_heads: int = 2
    tiny_max_length: int = 128
    # Filled in when the model is built (from the encoder), read when it is loaded.
    vocab_size: int = 0
    hidden_size: int = 0
    num_hidden_layers: int = 0
    num_attention_heads: int = 0
    intermediate_size: int = 0
    max_position_embeddings: int = 0
    pad_id: int = 0
    cls_id: int = 0
    sep_id: int = 0
    unk_id: int = 0

    def __post_init__(self) -> None:
        if self.model_type != "encoder":
            raise KitError(f"an encoder config has model_type 'encoder', got {self.model_type!r}")
        if not isinstance(self.encoder, str) or not self.encoder:
            raise KitError("model config: encoder must name a hub model or a folder")
        for name in ("output_dim", "gru_layers", "tiny_hidden_size", "tiny_layers",
                     "tiny_heads", "tiny_max_length"):
            _check_int(name, getattr(self, name), minimum=1)
        for name in ("gru_hidden_dim", "max_length", "window_context", "pad_id", "cls_id",
                     "sep_id", "unk_id", *DECLARED_SIZES):
            _check_int(name, getattr(self, name), minimum=0)
        if self.max_length and self.max_length < 3:
            raise KitError("model config: max_length must be at least 3 ([CLS], a piece, [SEP])")
        if not isinstance(self.dropout, (int, float)) or not 0.0 <= self.dropout < 1.0:
            raise KitError(f"model config: dropout must be in [0, 1), got {self.dropout!r}")
        if self.label_pieces not in ("first", "all"):
            raise KitError(f"model config: label_pieces must be 'first' or 'all', "
                           f"got {self.label_pieces!r}")

    @property
    def is_built(self) -> bool:
        """Whether the encoder's sizes are filled in (a saved model's config)."""
        return all(getattr(self, name) > 0 for name in DECLARED_SIZES)

    @property
    def window_length(self) -> int:
        """Pieces per window: ``max_length`` when set, at most the encoder's maximum."""
        if self.max_length:
            return min(self.max_length, self.max_position_embeddings or self.max_length)
        return min(self.max_position_embeddings, 512)

    def parameter_estimate(self) -> int:
        """Parameters of a BERT-shaped encoder of the declared sizes plus the head.

        Embeddings (pieces, positions, two segment types, a layer norm), per layer
        attention (4 square matrices), the feed-forward pair and two layer norms,
        a pooler, then the GRU and the output layer.
        """
        h, i, v = self.hidden_size, self.intermediate_size, self.vocab_size
        embeddings = (v + self.max_position_embeddings + 2) * h + 2 * h
        layer = 4 * (h * h + h) + 2 * h * i + i + h + 4 * h
        encoder = embeddings + self.num_hidden_layers * layer + h * h + h
        g = self.gru_hidden_dim
        gru = 0
        if g:
            for k in range(self.gru_layers):
                inputs = h if k == 0 else 2 * g
                gru += 2 * (3 * g * (inputs + g) + 6 * g)
        features = 2 * g if g else h
        return encoder + gru + features * self.output_dim + self.output_dim

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EncoderConfig:
        """Build from a mapping, rejecting unknown keys with a clear message."""
        check_config_keys(cls, data, ("model_type",))
        return cls(**data)


def _check_int(name: str, value: Any, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise KitError(f"model config: {name} must be an integer of at least {minimum}, "
                       f"got {value!r}")
