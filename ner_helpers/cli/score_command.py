"""``ner-kit score``: entity-F1 of a prediction file against gold tags."""

from __future__ import annotations

import argparse
import json

from ner_helpers.config import kit_config, resolve_path
from ner_helpers.data import load_hidden_labels, load_split
from ner_helpers.metric import format_scores
from ner_helpers.predictions import load_predictions, score_predictions

NAME = "score"
HELP = ("Score a prediction file with the grading metric (support-weighted entity F1) "
        "against a labelled split or the hidden test labels.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("predictions", help="a prediction file written by train or predict")
    parser.add_argument("--gold", help="labelled rows (default: the hidden test labels, "
                        f"{kit_config()['paths']['hidden_labels']})")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")


def load_gold(path):
    """Gold rows from a labelled split file or from a hidden-labels file (no text)."""
    with open(path, encoding="utf-8") as handle:
        head = handle.read(4096)
    if '"text"' in head:
        return load_split(path, require_labels=True)
    return load_hidden_labels(path)


def run(args: argparse.Namespace) -> int:
    gold_path = resolve_path(args.gold or kit_config()["paths"]["hidden_labels"])
    scores = score_predictions(load_predictions(resolve_path(args.predictions)),
                               load_gold(gold_path))
    print(json.dumps(scores, indent=2) if args.json else format_scores(scores))
    return 0
