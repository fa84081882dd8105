"""``ner-kit pieces``: train a WordPiece vocabulary for a small encoder trained from scratch."""

from __future__ import annotations

import argparse

from ner_helpers.config import kit_config, resolve_path
from ner_helpers.data import load_split
from ner_helpers.errors import KitError

NAME = "pieces"
HELP = ("Train a WordPiece vocabulary on dataset/train.json for a tiny encoder "
        "(model.encoder: tiny:FOLDER); a pretrained encoder brings its own.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    settings = kit_config()["pieces"]
    paths = kit_config()["paths"]
    parser.add_argument("--dataset-dir", default=paths["dataset_dir"],
                        help="folder with train.json (default: %(default)s)")
    parser.add_argument("--vocab-size", type=int, default=settings["vocab_size"],
                        help="pieces in the vocabulary, special ones included "
                             "(default: %(default)s)")
    parser.add_argument("--min-frequency", type=int, default=settings["min_frequency"],
                        help="keep pieces seen at least this often (default: %(default)s)")
    parser.add_argument("--out", default=settings["folder"],
                        help="folder to write tokenizer.json into (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    from ner_helpers.word_pieces import train_word_pieces

    if args.vocab_size < 10 or args.min_frequency < 1:
        raise KitError("--vocab-size must be at least 10 and --min-frequency at least 1")
    rows = load_split(resolve_path(args.dataset_dir) / "train.json")
    try:
        backend = train_word_pieces((row["text"] for row in rows), args.vocab_size,
                                    args.min_frequency)
    except ImportError:
        raise KitError('word pieces need the encoder extra: pip install -e ".[encoder]"') \
            from None
    out = resolve_path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    backend.save(str(out / "tokenizer.json"))
    print(f"word pieces: {backend.get_vocab_size():,} -> {out / 'tokenizer.json'}")
    return 0
