"""The complete tagger: token embedding followed by an FFNN, an RNN (hand-written or
one of PyTorch's cells, :mod:`ner_helpers.torch_cells`), a window or a CNN tagger
(the registry is :data:`ner_helpers.model_config.TAGGERS`)."""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from ner_helpers.constants import NER_DECODING_MAP
from ner_helpers.embedding import TokenEmbedding
from ner_helpers.errors import KitError
from ner_helpers.model_config import ENCODER_MODEL_TYPE, TAGGERS, ModelConfig
from ner_helpers.module import Module
from ner_helpers.tokenizer import Tokenizer

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.pt"


def build_tagger(config: ModelConfig) -> nn.Module:
    """The model after the embedding, for ``config.model_type`` (imported on demand)."""
    module_name, class_name = TAGGERS[config.model_type]
    try:
        tagger_class = getattr(importlib.import_module(module_name), class_name)
    except ModuleNotFoundError:
        raise KitError(f"model_type {config.model_type!r} is not part of this release "
                       f"({module_name} is missing)") from None
    sizes = (config.embedding_dim, config.hidden_dim, config.output_dim, config.num_layers)
    if config.model_type == "rnn" and config.cell != "rnn":
        from ner_helpers.torch_cells import TorchRecurrentTagger  # PyTorch's cells

        return TorchRecurrentTagger(config.cell, *sizes, bias=config.bias,
                                    nonlinearity=config.nonlinearity,
                                    bidirectional=config.bidirectional)
    if config.model_type == "rnn":
        return tagger_class(*sizes, bias=config.bias, nonlinearity=config.nonlinearity)
    if config.model_type == "window":
        return tagger_class(*sizes, window=config.window, combine=config.window_combine)
    if config.model_type == "cnn":
        return tagger_class(*sizes, kernel_size=config.kernel_size)
    return tagger_class(*sizes)


class NERPredictor(Module):
    """``embedding`` (a :class:`TokenEmbedding`) then ``model`` (FFNN, RNN, window or
    CNN tagger; the window and CNN taggers also get the padding mask, PyTorch's
    recurrent cells the mask of real tokens).

    ``forward(input_ids LongTensor[B, L]) -> logits FloatTensor[B, L, O]``.

    In training mode only, three regularisers from the config apply: word dropout
    (any token replaced by the unknown id with probability ``word_dropout``),
    rare-word dropout (a token marked rare by :meth:`set_rare_words` replaced by
    the unknown id with probability ``rare_word_dropout``) and dropout on the
    embeddings. In evaluation mode the model is deterministic.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding = TokenEmbedding(config.vocab_size, config.embedding_dim,
                                        config.padding_idx)
        self.model = build_tagger(config)
        self.embedding_dropout = nn.Dropout(config.embedding_dropout)
        # BoolTensor[V], True at rare ids; set by set_rare_words. Not saved with the
        # weights (persistent=False): it only matters while training.
        self.register_buffer("rare_words", None, persistent=False)
        self.init_weights()
        if config.freeze_embeddings:
            self.freeze_embeddings()

    def freeze_embeddings(self) -> None:
        """Keep the embedding table as it is: its weights get no gradient."""
        for parameter in self.embedding.parameters():
            parameter.requires_grad_(False)

    def set_rare_words(self, token_ids: Sequence[int]) -> None:
        """Mark the vocabulary ids that rare-word dropout may replace
        (see :func:`ner_helpers.rare_words.rare_token_ids`)."""
        mask = torch.zeros(self.config.vocab_size, dtype=torch.bool,
                           device=next(self.parameters()).device)
        mask[torch.as_tensor(list(token_ids), dtype=torch.long)] = True
        self.rare_words = mask

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        padding_mask = input_ids == self.config.padding_idx
        if self.training:
            input_ids = self.drop_words(input_ids)
        embeddings = self.embedding_dropout(self.embedding(input_ids))
        if getattr(self.model, "takes_padding_mask", False):
            return self.model(embeddings, padding_mask)
        if self.config.cell != "rnn":  # PyTorch's cells pack the sentences to their lengths
            return self.model(embeddings, ~padding_mask)
        return self.model(embeddings)

    def drop_words(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Replace non-pad tokens LongTensor[B, L] by the unknown id at random:
        any token with probability ``word_dropout``, a rare one (see
        :meth:`set_rare_words`) with probability ``rare_word_dropout``."""
        config = self.config
        dropped = torch.zeros(input_ids.shape, dtype=torch.bool, device=input_ids.device)
        if config.word_dropout > 0:
            dropped |= torch.rand(input_ids.shape, device=input_ids.device) < config.word_dropout
        if config.rare_word_dropout > 0:
            if self.rare_words is None:
                raise KitError("rare_word_dropout is set but no rare words are marked: call "
                               "set_rare_words(rare_token_ids(tokenizer, train_rows, "
                               "max_count)) before training, or build the model with "
                               "ner_helpers.experiment.build_predictor")
            coin = torch.rand(input_ids.shape, device=input_ids.device)
            dropped |= self.rare_words[input_ids] & (coin < config.rare_word_dropout)
        dropped &= input_ids != config.padding_idx
        return input_ids.masked_fill(dropped, config.unk_idx)

    def hidden_layer_names(self) -> list[str]:
        """Names of the per-layer activation modules, for :meth:`record_activations`."""
        return [f"model.f.{k}" for k in range(len(self.model.f))]

    @torch.no_grad()
    def tag(self, tokenizer: Tokenizer, sentences: Sequence[Sequence[str]],
            batch_size: int = 64) -> list[list[str]]:
        """Predict one tag string per token for each sentence (in eval mode)."""
        from ner_helpers.collator import DataCollator  # local: keeps the import graph simple

        was_training = self.training
        self.eval()
        device = next(self.parameters()).device
        collator = DataCollator(tokenizer)
        tagged: list[list[str]] = []
        for start in range(0, len(sentences), batch_size):
            chunk = [{"text": list(s)} for s in sentences[start:start + batch_size]]
            batch = collator(chunk)
            logits = self(batch["input_ids"].to(device))
            predicted = logits.argmax(dim=-1).cpu()
            for row, sentence in zip(predicted, chunk):
                tagged.append([NER_DECODING_MAP[int(i)] for i in row[: len(sentence["text"])]])
        self.train(was_training)
        return tagged

    # ------------------------------------------------------------------ saving
    def save(self, folder: str | Path) -> Path:
        """Write ``config.json`` and ``weights.pt`` (a plain state dict) into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / CONFIG_FILE).write_text(json.dumps(self.config.to_dict(), indent=2) + "\n")
        state = {name: tensor.detach().cpu() for name, tensor in self.state_dict().items()}
        torch.save(state, folder / WEIGHTS_FILE)
        return folder

    @classmethod
    def load(cls, folder: str | Path, map_location: str | torch.device = "cpu") -> NERPredictor:
        """Rebuild a predictor saved by :meth:`save`. Weights load without running
        pickled code (``weights_only=True``)."""
        folder = Path(folder)
        config = load_model_config(folder / CONFIG_FILE)
        predictor = cls(config)
        state = load_state_dict(folder / WEIGHTS_FILE, map_location)
        try:
            predictor.load_state_dict(state)
        except RuntimeError as exc:
            raise KitError(f"{folder / WEIGHTS_FILE}: weights do not fit the config ({exc})") \
                from None
        return predictor


def load_predictor(folder: str | Path, map_location: str | torch.device = "cpu") -> Module:
    """Any saved tagger: an :class:`NERPredictor`, or for ``model_type: encoder`` an
    :class:`~ner_helpers.encoder_predictor.EncoderPredictor` (imported only then)."""
    path = Path(folder) / CONFIG_FILE
    try:
        model_type = json.loads(path.read_text(encoding="utf-8")).get("model_type")
    except (OSError, ValueError, UnicodeDecodeError, AttributeError):
        model_type = None  # NERPredictor.load says what is wrong with the file
    if model_type == ENCODER_MODEL_TYPE:
        try:
            from ner_helpers.encoder_predictor import EncoderPredictor
        except ImportError:
            raise KitError(f"{path}: an encoder model, but this kit has no encoder section "
                           'or the encoder extra is not installed (pip install -e ".[encoder]")'
                           ) from None
        return EncoderPredictor.load(folder, map_location)
    return NERPredictor.load(folder, map_location)


def read_config_file(path: str | Path) -> dict:
    """A saved model's JSON config file as a dict, or a one-line :class:`KitError`."""
    path = Path(path)
    if not path.is_file():
        raise KitError(f"{path}: model config not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise KitError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise KitError(f"{path}: expected a JSON object")
    return data


def load_model_config(path: str | Path) -> ModelConfig:
    """Read a model's ``config.json``."""
    return ModelConfig.from_dict(read_config_file(path))


def load_state_dict(path: str | Path,
                    map_location: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    """Load a state dict of tensors, refusing anything that would run pickled code."""
    path = Path(path)
    if not path.is_file():
        raise KitError(f"{path}: weights file not found")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises several types for unsafe or corrupt files
        raise KitError(f"{path}: not a plain tensor state dict ({type(exc).__name__})") from None
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise KitError(f"{path}: expected a mapping of parameter names to tensors")
    return state
