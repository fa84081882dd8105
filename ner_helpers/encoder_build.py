"""Where an encoder comes from: the hub or a folder (pretrained), a tiny random one
(tests and the offline demo), or a saved model's config (loading).

Only this module imports ``transformers`` (an optional extra: ``pip install -e
".[encoder]"``), and only when an encoder is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch import nn

from ner_helpers.config import resolve_path
from ner_helpers.encoder_config import DECLARED_SIZES, EncoderConfig
from ner_helpers.errors import KitError
from ner_helpers.word_pieces import WordPieces

INSTALL_HINT = 'the encoder needs the encoder extra: pip install -e ".[encoder]"'


def _transformers():
    try:
        import transformers
    except ImportError:
        raise KitError(INSTALL_HINT) from None
    transformers.logging.set_verbosity_error()
    return transformers


def pretrained_encoder(name: str) -> tuple[nn.Module, WordPieces]:
    """The encoder and piece tokenizer of a hub ID or a local folder (``from_pretrained``)."""
    transformers = _transformers()
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(name, use_fast=True)
        encoder = transformers.AutoModel.from_pretrained(name)
    except (OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise KitError(f"encoder {name!r} could not be loaded (a hub ID needs the network; "
                       f"a folder needs config.json and weights): {first}") from None
    if not getattr(tokenizer, "is_fast", False):
        raise KitError(f"encoder {name!r} has no fast (tokenizers) tokenizer")
    ids = [tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id,
           tokenizer.unk_token_id]
    if any(i is None for i in ids):
        raise KitError(f"encoder {name!r}: its tokenizer lacks a [CLS], [SEP], [PAD] or "
                       "[UNK] token")
    return encoder, WordPieces(tokenizer.backend_tokenizer, *ids)


def tiny_encoder(config: EncoderConfig) -> tuple[nn.Module, WordPieces]:
    """A small randomly initialised BERT over the pieces of ``tiny:FOLDER/tokenizer.json``
    (see :func:`ner_helpers.word_pieces.train_word_pieces`), sized by ``config.tiny_*``."""
    transformers = _transformers()
    folder = resolve_path(config.encoder.removeprefix("tiny:"))
    from tokenizers import Tokenizer as Backend

    path = folder / "tokenizer.json"
    if not path.is_file():
        raise KitError(f"{path}: a tiny encoder needs a piece tokenizer "
                       "(ner-kit pieces writes one)")
    pieces = WordPieces.from_backend_specials(Backend.from_file(str(path)))
    settings = transformers.BertConfig(
        vocab_size=pieces.vocab_size, hidden_size=config.tiny_hidden_size,
        num_hidden_layers=config.tiny_layers, num_attention_heads=config.tiny_heads,
        intermediate_size=4 * config.tiny_hidden_size,
        max_position_embeddings=config.tiny_max_length, pad_token_id=pieces.pad_id)
    return transformers.AutoModel.from_config(settings), pieces


def encoder_from_config(data: dict[str, Any], config: EncoderConfig,
                        source: Path | str) -> nn.Module:
    """An encoder of the architecture a saved ``encoder_config.json`` describes (random
    weights, to be replaced by the saved ones). Its sizes must be the ones ``config``
    declares."""
    transformers = _transformers()
    kind = data.get("model_type")
    if not isinstance(kind, str):
        raise KitError(f"{source}: no model_type")
    rest = {k: v for k, v in data.items() if k != "model_type"}
    try:
        settings = transformers.AutoConfig.for_model(kind, **rest)
    except (ValueError, TypeError, KeyError) as exc:
        raise KitError(f"{source}: not an encoder config ({exc})") from None
    for name in DECLARED_SIZES:
        if getattr(settings, name, None) != getattr(config, name):
            raise KitError(f"{source}: {name} is {getattr(settings, name, None)!r}, but the "
                           f"model's config.json declares {getattr(config, name)}")
    return transformers.AutoModel.from_config(settings)
