"""``ner-kit tokenizer``: train the vocabulary on the training split."""

from __future__ import annotations

import argparse

from ner_helpers.config import kit_config, resolve_path
from ner_helpers.data import load_split
from ner_helpers.tokenizer import Tokenizer

NAME = "tokenizer"
HELP = "Train the tokenizer's vocabulary on dataset/train.json and save it as JSON."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    settings = kit_config()["tokenizer"]
    paths = kit_config()["paths"]
    parser.add_argument("--dataset-dir", default=paths["dataset_dir"],
                        help="folder with train.json (default: %(default)s)")
    parser.add_argument("--min-freq", type=int, default=settings["min_freq"],
                        help="keep tokens seen at least this often (default: %(default)s)")
    parser.add_argument("--remove-frac", type=float, default=settings["remove_frac"],
                        help="then drop this rarest fraction of them (default: %(default)s)")
    parser.add_argument("--lowercase", action=argparse.BooleanOptionalAction,
                        default=settings["lowercase"],
                        help="lowercase tokens first (default: %(default)s)")
    parser.add_argument("--out", default=paths["tokenizer"],
                        help="where to write the tokenizer (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    rows = load_split(resolve_path(args.dataset_dir) / "train.json")
    tokenizer = Tokenizer(lowercase=args.lowercase)
    tokenizer.train(rows, min_freq=args.min_freq, remove_frac=args.remove_frac)
    out = resolve_path(args.out)
    tokenizer.save(out)
    print(f"vocabulary: {tokenizer.vocab_size:,} ids (min_freq={args.min_freq}, "
          f"remove_frac={args.remove_frac}, lowercase={args.lowercase}) -> {out}")
    return 0
