"""``ner-kit train``: train a tagger (FFNN, RNN, window or CNN) from a YAML config."""

from __future__ import annotations

import argparse

from ner_helpers.config import apply_overrides, load_config
from ner_helpers.experiment import run_experiment
from ner_helpers.metric import format_scores

NAME = "train"
HELP = ("Train a tagger from a YAML config (bundled: ffnn, rnn; window and cnn with the "
        "optional section 7) into artefacts/experiments/NAME.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default="ffnn",
                        help="bundled config (ffnn, rnn; window, cnn with section 7) or a "
                             "YAML path (default: %(default)s)")
    parser.add_argument("--name", help="experiment name (default: the config's name)")
    parser.add_argument("--epochs", type=int, help="number of epochs (overrides the config)")
    parser.add_argument("--device", help="auto, cpu, cuda or cuda:N (overrides the config)")
    parser.add_argument("--max-train", type=int,
                        help="use only the first N training sentences (quick runs)")
    parser.add_argument("--max-val", type=int,
                        help="use only the first N validation sentences (quick runs)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE",
                        help="override one config value, e.g. --set training.lr=0.01 "
                             "(repeatable)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the experiment from its latest checkpoint")
    parser.add_argument("--force", action="store_true",
                        help="start over; the old experiment folder is kept as NAME.old-N")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def run(args: argparse.Namespace) -> int:
    config = apply_overrides(load_config(args.config), args.overrides)
    if args.name:
        config["name"] = args.name
    if args.epochs is not None:
        config.setdefault("training", {})["epochs"] = args.epochs
    if args.device:
        config["device"] = args.device
    if args.max_train is not None:
        config.setdefault("data", {})["max_train"] = args.max_train
    if args.max_val is not None:
        config.setdefault("data", {})["max_val"] = args.max_val
    result = run_experiment(config, resume=args.resume, force=args.force,
                            show_progress=not args.no_progress)
    print(f"experiment: {result.folder}")
    print(f"best epoch: {result.best_epoch}")
    if result.val_scores:
        print(format_scores(result.val_scores))
    return 0
