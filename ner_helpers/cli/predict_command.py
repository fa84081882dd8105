"""``ner-kit predict``: tag a split with a trained experiment's model."""

from __future__ import annotations

import argparse

from ner_helpers.config import kit_config, resolve_path
from ner_helpers.data import load_split
from ner_helpers.experiment import experiment_folder
from ner_helpers.predictions import predict_rows, save_predictions
from ner_helpers.predictor import load_predictor
from ner_helpers.tokenizer import Tokenizer

NAME = "predict"
HELP = "Tag a dataset split with an experiment's best model and write a prediction file."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    paths = kit_config()["paths"]
    parser.add_argument("--experiment", required=True, help="experiment name (e.g. ffnn)")
    parser.add_argument("--split", default="test", choices=["train", "val", "test"],
                        help="which split to tag (default: %(default)s)")
    parser.add_argument("--dataset-dir", default=paths["dataset_dir"],
                        help="folder with the split files (default: %(default)s)")
    parser.add_argument("--tokenizer", default=paths["tokenizer"],
                        help="tokenizer file (default: %(default)s)")
    parser.add_argument("--out", help="output file (default: EXPERIMENT/SPLIT_predictions.json)")


def run(args: argparse.Namespace) -> int:
    folder = experiment_folder(args.experiment)
    predictor = load_predictor(folder / "model")
    # An encoder reads its own pieces (saved in its model folder), not the tokenizer.
    tokenizer = None if getattr(predictor.config, "model_type", None) == "encoder" else \
        Tokenizer.load(resolve_path(args.tokenizer))
    rows = load_split(resolve_path(args.dataset_dir) / f"{args.split}.json")
    out = resolve_path(args.out) if args.out else folder / f"{args.split}_predictions.json"
    save_predictions(predict_rows(predictor, tokenizer, rows), out)
    print(f"{len(rows):,} sentences tagged -> {out}")
    return 0
