"""The description of a tagger: which model, which sizes. Saved beside its weights."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from ner_helpers.constants import NUM_NER_TAGS
from ner_helpers.errors import KitError

MODEL_TYPES = ("ffnn", "rnn")
#: Recurrent cells of ``model_type: rnn``: the hand-written RNN (``rnn``, the
#: assignment's) or PyTorch's (:mod:`ner_helpers.torch_cells`).
CELLS = ("rnn", "torch-rnn", "gru", "lstm")
#: Every tagger after the embedding: model_type -> (module, class). The predictor
#: imports the module only when it builds that type, so a type whose file a release
#: leaves out (an optional section that is off) costs nothing.
TAGGERS: dict[str, tuple[str, str]] = {
    "ffnn": ("ner_helpers.ffnn", "FFNN"),
    "rnn": ("ner_helpers.rnn", "RNN"),
    "window": ("ner_helpers.window", "WindowTagger"),
    "cnn": ("ner_helpers.cnn", "CNNTagger"),
}
MODEL_TYPES = tuple(TAGGERS)
#: How rows of words a vectors file lacks start (model.missing_vectors).
MISSING_VECTOR_INITS = ("random", "zeros", "mean")


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild a :class:`~ner_helpers.predictor.NERPredictor`."""

    model_type: str
    vocab_size: int
    embedding_dim: int = 300
    hidden_dim: int = 512
    num_layers: int = 2
    output_dim: int = NUM_NER_TAGS
    padding_idx: int = 0
    unk_idx: int = 1
    nonlinearity: str = "tanh"   # RNN only
    bias: bool = True            # RNN only
    #: Training only: the probability of replacing a token by the unknown id, so the
    #: model learns to tag words it has never seen from their context.
    word_dropout: float = 0.0
    #: Training only: the probability of replacing a *rare* training word (seen at most
    #: ``rare_word_max_count`` times) by the unknown id. Unseen test words are mostly
    #: names, so this teaches the unknown id to mean "probably a name".
    rare_word_dropout: float = 0.0
    rare_word_max_count: int = 1
    #: Training only: dropout on the embeddings.
    embedding_dropout: float = 0.0
    #: RNN only: the recurrent cell, one of :data:`CELLS`.
    cell: str = "rnn"
    #: RNN only, PyTorch cells only: read the sentence in both directions.
    bidirectional: bool = False
    window: int = 2              # window tagger: neighbours on each side
    window_combine: str = "concat"   # window tagger: concat or mean of the window
    kernel_size: int = 3         # CNN tagger: odd width of every convolution
    #: A word-vector file (GloVe, word2vec or fastText text) that fills the embedding
    #: table before training (ner_helpers/vectors.py); null: random embeddings.
    pretrained_vectors: str | None = None
    #: Keep the embedding table as the vectors (or the random start) made it.
    freeze_embeddings: bool = False
    #: How the rows of words the vectors file lacks start: random, zeros or mean.
    missing_vectors: str = "random"

    def __post_init__(self) -> None:
        if self.model_type not in MODEL_TYPES:
            raise KitError(f"model_type must be one of {MODEL_TYPES}, got {self.model_type!r}")
        for name in ("vocab_size", "embedding_dim", "hidden_dim", "num_layers", "output_dim",
                     "rare_word_max_count"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise KitError(f"model config: {name} must be a positive integer, got {value!r}")
        if not isinstance(self.window, int) or isinstance(self.window, bool) or self.window < 0:
            raise KitError(f"model config: window must be a non-negative integer, "
                           f"got {self.window!r}")
        if self.window_combine not in ("concat", "mean"):
            raise KitError(f"model config: window_combine must be concat or mean, "
                           f"got {self.window_combine!r}")
        if (not isinstance(self.kernel_size, int) or isinstance(self.kernel_size, bool)
                or self.kernel_size < 1 or self.kernel_size % 2 == 0):
            raise KitError(f"model config: kernel_size must be an odd positive integer "
                           f"(same-length output), got {self.kernel_size!r}")
        if self.missing_vectors not in MISSING_VECTOR_INITS:
            raise KitError(f"model config: missing_vectors must be one of "
                           f"{MISSING_VECTOR_INITS}, got {self.missing_vectors!r}")
        if not isinstance(self.freeze_embeddings, bool):
            raise KitError(f"model config: freeze_embeddings must be true or false, "
                           f"got {self.freeze_embeddings!r}")
        for name in ("word_dropout", "rare_word_dropout", "embedding_dropout"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
                raise KitError(f"model config: {name} must be in [0, 1), got {value!r}")
        if self.cell not in CELLS:
            raise KitError(f"model config: cell must be one of {CELLS}, got {self.cell!r}")
        if self.cell != "rnn" and self.model_type != "rnn":
            raise KitError(f"model config: cell {self.cell!r} needs model_type 'rnn'")
        if not isinstance(self.bidirectional, bool):
            raise KitError(f"model config: bidirectional must be true or false, "
                           f"got {self.bidirectional!r}")
        if self.bidirectional and self.cell == "rnn":
            raise KitError("model config: the hand-written cell 'rnn' reads left to right "
                           "only; bidirectional needs cell torch-rnn, gru or lstm")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Build from a mapping, rejecting unknown keys with a clear message."""
        check_config_keys(cls, data, ("model_type", "vocab_size"))
        return cls(**data)


def check_config_keys(config_class: type, data: Any, required: tuple[str, ...]) -> None:
    """``data`` is a mapping of ``config_class``'s fields holding every ``required`` key;
    a :class:`KitError` names what is wrong otherwise."""
    if not isinstance(data, dict):
        raise KitError(f"model config must be a mapping, got {type(data).__name__}")
    known = {f.name for f in fields(config_class)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise KitError(f"model config: unknown keys {unknown}; known keys: {sorted(known)}")
    missing = [key for key in required if key not in data]
    if missing:
        raise KitError(f"model config needs at least {' and '.join(required)}")


#: The model type of the optional encoder section (:mod:`ner_helpers.encoder_config`).
ENCODER_MODEL_TYPE = "encoder"


def config_from_dict(data: dict[str, Any]) -> Any:
    """The config of any model type: a :class:`ModelConfig`, or for ``model_type:
    encoder`` an :class:`~ner_helpers.encoder_config.EncoderConfig` (imported only
    then: the encoder is an optional part of the kit)."""
    if isinstance(data, dict) and data.get("model_type") == ENCODER_MODEL_TYPE:
        try:
            from ner_helpers.encoder_config import EncoderConfig
        except ImportError:
            raise KitError("this kit has no encoder section (model_type: encoder)") from None
        return EncoderConfig.from_dict(data)
    return ModelConfig.from_dict(data)
