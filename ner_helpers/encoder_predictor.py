"""The complete encoder tagger: word pieces in, one tag per word out.

An encoder model folder holds ``config.json`` (:class:`EncoderConfig`),
``weights.pt`` (a plain state dict), ``encoder_config.json`` (the
``transformers`` config of the encoder, so it is rebuilt without the network) and
``pieces.json`` (its piece tokenizer, ``tokenizers`` format).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import torch

from ner_helpers.constants import NER_DECODING_MAP
from ner_helpers.encoder import EncoderTagger
from ner_helpers.encoder_config import EncoderConfig
from ner_helpers.errors import KitError
from ner_helpers.module import Module
from ner_helpers.predictor import CONFIG_FILE, WEIGHTS_FILE, load_state_dict, read_config_file
from ner_helpers.word_pieces import PIECES_FILE, WordPieces

ENCODER_CONFIG_FILE = "encoder_config.json"
#: Every file of an encoder model folder.
ENCODER_MODEL_FILES = (CONFIG_FILE, WEIGHTS_FILE, ENCODER_CONFIG_FILE, PIECES_FILE)


class EncoderPredictor(Module):
    """``model`` (an :class:`~ner_helpers.encoder.EncoderTagger`) and its ``pieces``.

    ``forward(input_ids LongTensor[B, P]) -> logits FloatTensor[B, P, O]`` on pieces,
    as the trainer wants; :meth:`tag` gives one tag per *word*, read from each
    word's first piece.
    """

    def __init__(self, config: EncoderConfig, encoder: torch.nn.Module,
                 pieces: WordPieces) -> None:
        super().__init__()
        self.config = config
        self.pieces = pieces
        self.model = EncoderTagger(encoder, config.output_dim, config.pad_id,
                                   gru_hidden_dim=config.gru_hidden_dim,
                                   gru_layers=config.gru_layers, dropout=config.dropout)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids)

    def hidden_layer_names(self) -> list[str]:
        """The encoder layers' outputs (BERT-shaped encoders), ``[B, P, E]`` each."""
        names = dict(self.named_modules())
        return [f"model.encoder.encoder.layer.{k}.output"
                for k in range(self.config.num_hidden_layers)
                if f"model.encoder.encoder.layer.{k}.output" in names]

    def collator(self):
        """The :class:`~ner_helpers.piece_collator.PieceCollator` of this model."""
        from ner_helpers.piece_collator import PieceCollator

        return PieceCollator(self.pieces, self.config.window_length, self.config.label_pieces)

    @torch.no_grad()
    def tag(self, tokenizer: object, sentences: Sequence[Sequence[str]],
            batch_size: int = 64) -> list[list[str]]:
        """One tag per word of each sentence (in eval mode).

        ``tokenizer`` (the kit's word tokenizer) is not used: the encoder reads its
        own pieces. Each word's tag is the arg-max at its first piece. A sentence
        longer than a window is read in overlapping windows
        (:meth:`~ner_helpers.word_pieces.WordPieces.windows`), each word from the
        window that owns it, so every word gets a tag and none shifts.
        """
        was_training = self.training
        self.eval()
        device = next(self.parameters()).device
        length, context = self.config.window_length, self.config.window_context
        jobs = []  # (sentence number, window, encoded)
        for number, sentence in enumerate(sentences):
            words = list(sentence)
            for window in self.pieces.windows(words, length, context):
                encoded = self.pieces.encode(words, window.start, window.end, length)
                jobs.append((number, window, encoded))
        # Batch windows of similar length, so little of each batch is padding (attention
        # costs grow with the square of the padded width); results go back by number.
        jobs.sort(key=lambda job: len(job[2].input_ids))
        tags: list[list[str]] = [["O"] * len(sentence) for sentence in sentences]
        for first in range(0, len(jobs), batch_size):
            chunk = jobs[first:first + batch_size]
            width = max(len(encoded.input_ids) for _, _, encoded in chunk)
            input_ids = torch.full((len(chunk), width), self.pieces.pad_id, dtype=torch.long)
            for row, (_, _, encoded) in enumerate(chunk):
                input_ids[row, :len(encoded.input_ids)] = torch.tensor(encoded.input_ids)
            predicted = self(input_ids.to(device)).argmax(dim=-1).cpu().tolist()
            for row, (number, window, encoded) in enumerate(chunk):
                seen: set[int] = set()
                for position, word in enumerate(encoded.word_ids):
                    if word is None or word in seen:
                        continue
                    seen.add(word)
                    if window.own_start <= word < window.own_end:
                        tags[number][word] = NER_DECODING_MAP[predicted[row][position]]
        self.train(was_training)
        return tags

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, config: EncoderConfig) -> EncoderPredictor:
        """A new tagger: the pretrained encoder ``config.encoder`` names (hub ID or
        folder), or a tiny random one (``tiny:FOLDER``), with a fresh head. The
        returned model's config has the encoder's sizes filled in."""
        from ner_helpers.encoder_build import pretrained_encoder, tiny_encoder

        if config.encoder.startswith("tiny:"):
            encoder, pieces = tiny_encoder(config)
        else:
            encoder, pieces = pretrained_encoder(config.encoder)
        return cls(declare_sizes(config, encoder, pieces), encoder, pieces)

    # ------------------------------------------------------------------ saving
    def save(self, folder: str | Path) -> Path:
        """Write the four files of :data:`ENCODER_MODEL_FILES` into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / CONFIG_FILE).write_text(json.dumps(self.config.to_dict(), indent=2) + "\n")
        encoder_config = self.model.encoder.config.to_dict()
        (folder / ENCODER_CONFIG_FILE).write_text(
            json.dumps(encoder_config, indent=2, sort_keys=True, default=str) + "\n")
        self.pieces.save(folder / PIECES_FILE)
        state = {name: tensor.detach().cpu() for name, tensor in self.state_dict().items()}
        torch.save(state, folder / WEIGHTS_FILE)
        return folder

    @classmethod
    def load(cls, folder: str | Path,
             map_location: str | torch.device = "cpu") -> EncoderPredictor:
        """Rebuild a tagger saved by :meth:`save`, without the network. Weights load
        without running pickled code (``weights_only=True``)."""
        from ner_helpers.encoder_build import encoder_from_config

        folder = Path(folder)
        config = EncoderConfig.from_dict(read_config_file(folder / CONFIG_FILE))
        if not config.is_built:
            raise KitError(f"{folder / CONFIG_FILE}: the encoder's sizes are missing")
        encoder = encoder_from_config(read_config_file(folder / ENCODER_CONFIG_FILE), config,
                                      folder / ENCODER_CONFIG_FILE)
        pieces = WordPieces.load(folder / PIECES_FILE, config.cls_id, config.sep_id,
                                 config.pad_id, config.unk_id)
        if pieces.vocab_size > config.vocab_size:
            raise KitError(f"{folder / PIECES_FILE}: {pieces.vocab_size} pieces, but the "
                           f"encoder of {CONFIG_FILE} has room for {config.vocab_size}")
        predictor = cls(config, encoder, pieces)
        state = load_state_dict(folder / WEIGHTS_FILE, map_location)
        try:
            predictor.load_state_dict(state)
        except RuntimeError as exc:
            raise KitError(f"{folder / WEIGHTS_FILE}: weights do not fit the config "
                           f"({str(exc).splitlines()[0]})") from None
        return predictor


def declare_sizes(config: EncoderConfig, encoder: torch.nn.Module,
                  pieces: WordPieces) -> EncoderConfig:
    """``config`` with the encoder's sizes and special piece ids filled in."""
    settings = encoder.config
    data = config.to_dict()
    data.update(vocab_size=int(settings.vocab_size), hidden_size=int(settings.hidden_size),
                num_hidden_layers=int(settings.num_hidden_layers),
                num_attention_heads=int(settings.num_attention_heads),
                intermediate_size=int(settings.intermediate_size),
                max_position_embeddings=int(settings.max_position_embeddings),
                pad_id=pieces.pad_id, cls_id=pieces.cls_id, sep_id=pieces.sep_id,
                unk_id=pieces.unk_id)
    return EncoderConfig.from_dict(data)
